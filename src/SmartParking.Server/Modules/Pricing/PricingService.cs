using System.Text.Json;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>A price for a stay, locked when quoted; the segments say how it was made. DemandRate is the rate of the band the stay starts in.</summary>
public sealed record Quote(Guid LotId, Guid? ZoneId, string? SpaceType, DateTimeOffset Start, DateTimeOffset End, decimal Amount, string Currency, decimal DemandRate,
    IReadOnlyList<QuoteSegment> Segments)
{
    /// <summary>Whether the lot is open for the whole stay; set by the public quote only (left out elsewhere).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public bool? Open { get; init; }

    /// <summary>The parts of the stay the lot is closed, in order; set with <see cref="Open"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ClosedPart>? Closed { get; init; }

    /// <summary>The lot's IANA time zone; set by the public quote, with <see cref="Local"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? TimeZone { get; init; }

    /// <summary>The stay as the driver reads it: local time with the zone.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Local { get; init; }

    /// <summary>The parking rules whose windows the stay meets, as their text; set by the public quote only.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? ParkingRules { get; init; }

    /// <summary>Why a reservation of this stay would be refused by a parking rule; absent when the rules allow it.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? RuleBreach { get; init; }
}

/// <summary>A stretch of time the lot is closed, [From, Until), and the same in the lot's local time with the zone.</summary>
public sealed record ClosedPart(DateTimeOffset From, DateTimeOffset Until, string Local);

/// <summary>What a price is for within a lot: a zone (priced by its own policy if it has one), a space type, a driver (in a driver experiment).</summary>
public sealed record PriceScope(Guid? ZoneId = null, string? SpaceType = null, Guid? DriverId = null)
{
    public static readonly PriceScope Lot = new();
}

/// <summary>A pricing unit's policy and its demand rates now.</summary>
public sealed record PricingUnit(PricingPolicy Policy, DemandRates Demand);

/// <summary>Everything a lot's quotes depend on: its policy and demand rate, its zones' own, events, running experiments.</summary>
public sealed record PricingInputs(PricingPolicy LotPolicy, DemandRates? LotDemand, IReadOnlyDictionary<Guid, (PricingPolicy Policy, DemandRates? Demand)> Zones,
    IReadOnlyList<PricingEvent> Events, IReadOnlyList<PricingExperiment> Experiments)
{
    /// <summary>
    /// The policy and demand rate that price a scope: a zone's own policy wins; else a lot in a lot experiment's variant
    /// group runs the variant (as the scheduler prices it); else the lot's policy, which a driver in a driver
    /// experiment's variant group sees through the variant: the lot's demand rate rescaled to the variant's base.
    /// </summary>
    public PricingUnit For(LotFacts lot, PriceScope scope)
    {
        if (scope.ZoneId is { } zoneId && Zones.TryGetValue(zoneId, out var zone))
            return new PricingUnit(zone.Policy, zone.Demand ?? DemandRates.Both(zone.Policy.BaseFor(lot)));
        if (Experiments.FirstOrDefault(e => e.Unit == ExperimentUnits.Lots && e.IsTreated(lot.Id)) is { } lotExperiment)
            return new PricingUnit(lotExperiment.Variant, LotDemand ?? DemandRates.Both(lotExperiment.Variant.BaseFor(lot)));
        var unit = new PricingUnit(LotPolicy, LotDemand ?? DemandRates.Both(LotPolicy.BaseFor(lot)));
        if (scope.DriverId is not { } driverId || Experiments.FirstOrDefault(e => e.Unit == ExperimentUnits.Drivers && e.IsTreated(driverId)) is not { } driverExperiment)
            return unit;
        var variant = driverExperiment.Variant;
        var lotBase = LotPolicy.BaseFor(lot);
        return new PricingUnit(variant, unit.Demand.Scaled(lotBase == 0 ? 1 : variant.BaseFor(lot) / lotBase, rate => PricingEngine.Bound(lot, variant, rate)));
    }
}

/// <summary>Pricing's face to the rest of the platform: quotes for stays, the rate now, and each lot's rules.</summary>
public sealed class PricingService(PricingInputsCache shown)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<Quote> QuoteAsync(LotFacts lot, DateTimeOffset start, DateTimeOffset end, PriceScope scope, CancellationToken ct) =>
        (await QuotesAsync([lot], start, end, scope, ct))[0];

    /// <summary>On the caller's connection: a caller holding one must not wait for a second (a rush would drain the pool).</summary>
    public async Task<Quote> QuoteAsync(NpgsqlConnection connection, LotFacts lot, DateTimeOffset start, DateTimeOffset end, PriceScope scope, CancellationToken ct)
    {
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(InputsSql, InputsParameters(lot, start, end), cancellationToken: ct));
        return Quote(lot, await ReadInputsAsync(results), start, end, scope);
    }

    public static Quote Quote(LotFacts lot, PricingInputs inputs, DateTimeOffset start, DateTimeOffset end, PriceScope scope)
    {
        var unit = inputs.For(lot, scope);
        var segments = PricingEngine.Segments(lot, unit.Policy, inputs.Events, unit.Demand, start, end, scope.SpaceType);
        return new Quote(lot.Id, scope.ZoneId, scope.SpaceType, start, end, segments.Sum(s => s.Amount), lot.Currency,
            unit.Demand.For(PricingEngine.IsPeak(lot, unit.Policy, start)), segments);
    }

    /// <summary>The hourly rate at an instant (a meter session locks it at its start).</summary>
    public async Task<decimal> RateAtAsync(NpgsqlConnection connection, LotFacts lot, DateTimeOffset at, PriceScope scope, CancellationToken ct)
    {
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(InputsSql, InputsParameters(lot, at, at.AddSeconds(1)), cancellationToken: ct));
        var inputs = await ReadInputsAsync(results);
        var unit = inputs.For(lot, scope);
        return PricingEngine.RateAt(lot, unit.Policy, inputs.Events, unit.Demand, at, scope.SpaceType).Rate;
    }

    /// <summary>
    /// What a quote needs (the lot's and its zones' policies and demand rates, events and running experiments), as
    /// statements a caller can append to its own batch so a booking stays a handful of round trips; parameters from
    /// <see cref="InputsParameters"/>.
    /// </summary>
    public static readonly string InputsSql = $"""
        select zone_id, policy::text from pricing_policies where lot_id = @pricingLotId;
        select zone_id, peak_demand_rate, off_peak_demand_rate from lot_prices where lot_id = @pricingLotId;
        {EventRow.Select} where tenant_id = @pricingTenantId and starts_at < @pricingTo and ends_at > @pricingFrom;
        {ExperimentRow.Select} where tenant_id = @pricingTenantId and starts_at <= @pricingFrom and ends_at > @pricingFrom
        """;

    public static object InputsParameters(LotFacts lot, DateTimeOffset from, DateTimeOffset to) =>
        new { pricingLotId = lot.Id, pricingTenantId = lot.TenantId, pricingFrom = from, pricingTo = to };

    public static async Task<PricingInputs> ReadInputsAsync(SqlMapper.GridReader results)
    {
        var policies = (await results.ReadAsync<(Guid? ZoneId, string Policy)>()).ToList();
        var demand = (await results.ReadAsync<(Guid? ZoneId, decimal Peak, decimal OffPeak)>()).Select(d => (d.ZoneId, Rates: new DemandRates(d.Peak, d.OffPeak))).ToList();
        var events = (await results.ReadAsync<EventRow>()).Select(e => e.ToEvent()).ToList();
        var experiments = (await results.ReadAsync<ExperimentRow>()).Select(e => e.ToExperiment()).ToList();
        return Inputs(policies, demand, events, experiments);
    }

    internal static PricingInputs Inputs(IReadOnlyList<(Guid? ZoneId, string Policy)> policies, IReadOnlyList<(Guid? ZoneId, DemandRates Rates)> demand,
        IReadOnlyList<PricingEvent> events, IReadOnlyList<PricingExperiment> experiments)
    {
        var zones = policies.Where(p => p.ZoneId is not null).ToDictionary(
            p => p.ZoneId!.Value, p => (Parse(p.Policy), demand.Where(d => d.ZoneId == p.ZoneId).Select(d => d.Rates).FirstOrDefault()));
        return new PricingInputs(Parse(policies.FirstOrDefault(p => p.ZoneId is null).Policy), demand.Where(d => d.ZoneId is null).Select(d => d.Rates).FirstOrDefault(),
            zones, events, experiments);
    }

    /// <summary>
    /// Prices shown before anything is bought (search results, the chat, the public quote): the same stay at several lots,
    /// in the order given, from inputs kept a few seconds (<see cref="PricingInputsCache"/>). What is charged is priced by
    /// <see cref="QuoteAsync(NpgsqlConnection, LotFacts, DateTimeOffset, DateTimeOffset, PriceScope, CancellationToken)"/> in the booking's transaction.
    /// </summary>
    public async Task<IReadOnlyList<Quote>> QuotesAsync(IReadOnlyList<LotFacts> lots, DateTimeOffset start, DateTimeOffset end, PriceScope scope, CancellationToken ct)
    {
        // A type outside the vocabulary has no multiplier and would quietly be priced as the lot's own rate.
        new Validation().OneOf(scope.SpaceType, "spaceType", LotsVocabulary.SpaceTypes, required: false).ThrowIfInvalid();
        if (lots.Count == 0) return [];
        var inputs = await shown.InputsAsync(lots, start, end, ct);
        return lots.Select((lot, i) => Quote(lot, inputs[i], start, end, scope)).ToList();
    }

    internal static PricingPolicy Parse(string? json) => json is null ? PricingPolicy.Default : JsonSerializer.Deserialize<PricingPolicy>(json, Json) ?? PricingPolicy.Default;

    internal static async Task<IReadOnlyList<PricingEvent>> EventsAsync(NpgsqlConnection connection, Guid? tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        (await connection.QueryAsync<EventRow>(new CommandDefinition($"""
            {EventRow.Select} where (@tenantId::uuid is null or tenant_id = @tenantId) and starts_at < @to and ends_at > @from
            """, new { tenantId, from, to }, cancellationToken: ct))).Select(e => e.ToEvent()).ToList();

    public sealed class EventRow
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
