using System.Text.Json;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>A price for a stay, locked when quoted; the segments say how it was made.</summary>
public sealed record Quote(Guid LotId, DateTimeOffset Start, DateTimeOffset End, decimal Amount, string Currency, decimal DemandRate, IReadOnlyList<QuoteSegment> Segments);

public sealed record PricingInputs(PricingPolicy Policy, decimal Demand, IReadOnlyList<PricingEvent> Events);

/// <summary>Pricing's face to the rest of the platform: quotes for stays, the rate now, and each lot's rules.</summary>
public sealed class PricingService(NpgsqlDataSource db)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<Quote> QuoteAsync(LotFacts lot, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await QuoteAsync(connection, lot, start, end, ct);
    }

    /// <summary>On the caller's connection: a caller holding one must not wait for a second (a rush would drain the pool).</summary>
    public async Task<Quote> QuoteAsync(NpgsqlConnection connection, LotFacts lot, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(InputsSql, InputsParameters(lot, start, end), cancellationToken: ct));
        return Quote(lot, await ReadInputsAsync(results, lot), start, end);
    }

    public static Quote Quote(LotFacts lot, PricingInputs inputs, DateTimeOffset start, DateTimeOffset end)
    {
        var segments = PricingEngine.Segments(lot, inputs.Policy, inputs.Events, inputs.Demand, start, end);
        return new Quote(lot.Id, start, end, segments.Sum(s => s.Amount), lot.Currency, inputs.Demand, segments);
    }

    /// <summary>The hourly rate at an instant (a meter session locks it at its start).</summary>
    public async Task<decimal> RateAtAsync(NpgsqlConnection connection, LotFacts lot, DateTimeOffset at, CancellationToken ct)
    {
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(InputsSql, InputsParameters(lot, at, at.AddSeconds(1)), cancellationToken: ct));
        var inputs = await ReadInputsAsync(results, lot);
        return PricingEngine.RateAt(lot, inputs.Policy, inputs.Events, inputs.Demand, at).Rate;
    }

    /// <summary>
    /// What a quote needs (the lot's rules, its demand rate, events and running experiments), as statements a caller can
    /// append to its own batch so a booking stays a handful of round trips; parameters from <see cref="InputsParameters"/>.
    /// </summary>
    public static readonly string InputsSql = $"""
        select (select policy::text from pricing_policies where lot_id = @pricingLotId), (select demand_rate from lot_prices where lot_id = @pricingLotId);
        {EventRow.Select} where tenant_id = @pricingTenantId and starts_at < @pricingTo and ends_at > @pricingFrom;
        select variant::text, seed, share from pricing_experiments where tenant_id = @pricingTenantId and starts_at <= @pricingFrom and ends_at > @pricingFrom
        """;

    public static object InputsParameters(LotFacts lot, DateTimeOffset from, DateTimeOffset to) =>
        new { pricingLotId = lot.Id, pricingTenantId = lot.TenantId, pricingFrom = from, pricingTo = to };

    public static async Task<PricingInputs> ReadInputsAsync(SqlMapper.GridReader results, LotFacts lot)
    {
        var (json, demand) = await results.ReadSingleAsync<(string? Policy, decimal? Demand)>();
        var events = (await results.ReadAsync<EventRow>()).Select(e => e.ToEvent()).ToList();
        // A lot in a running experiment's variant group is quoted by the variant, as the scheduler prices it.
        var variant = (await results.ReadAsync<(string Variant, string Seed, decimal Share)>())
            .FirstOrDefault(e => Assignment.IsTreated(e.Seed, e.Share, lot.Id)).Variant;
        var policy = Parse(variant ?? json);
        return new PricingInputs(policy, demand ?? policy.BaseFor(lot), events);
    }

    internal static PricingPolicy Parse(string? json) => json is null ? PricingPolicy.Default : JsonSerializer.Deserialize<PricingPolicy>(json, Json) ?? PricingPolicy.Default;

    internal static async Task<IReadOnlyList<PricingEvent>> EventsAsync(NpgsqlConnection connection, Guid? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        (await connection.QueryAsync<EventRow>(new CommandDefinition($"""
            {EventRow.Select} where (@tenantId::uuid is null or tenant_id = @tenantId) and starts_at < @to and ends_at > @from
            """, new { tenantId, from, to }, cancellationToken: ct))).Select(e => e.ToEvent()).ToList();

    internal sealed class EventRow
    {
        public const string Select = "select id, tenant_id, name, starts_at, ends_at, multiplier, latitude, longitude, radius_meters from pricing_events";
        public Guid Id { get; init; }
        public Guid TenantId { get; init; }
        public string Name { get; init; } = "";
        public DateTimeOffset StartsAt { get; init; }
        public DateTimeOffset EndsAt { get; init; }
        public decimal Multiplier { get; init; }
        public double Latitude { get; init; }
        public double Longitude { get; init; }
        public double RadiusMeters { get; init; }

        public PricingEvent ToEvent() => new(Id, Name, StartsAt, EndsAt, Multiplier, Latitude, Longitude, RadiusMeters);
    }
}
