using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Identity.Audit;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Pricing;

public sealed record ExperimentRequest(string? Name, PricingPolicy? Variant, decimal? Share, string? Seed, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt);

public sealed record ExperimentGroup(string Group, int Lots, Estimate InBandShare, Estimate RevenuePerLot, Estimate TurnoverPerSpacePerDay);

public sealed record ExperimentReport(PricingExperiment Experiment, IReadOnlyList<ExperimentGroup> Groups,
    Estimate InBandDifference, Estimate RevenueDifference, Estimate TurnoverDifference);

/// <summary>Operators' A/B tests of pricing policies, and what each variant did.</summary>
public static class ExperimentEndpoints
{
    public static void MapExperimentEndpoints(this IEndpointRouteBuilder app)
    {
        var manage = app.MapGroup("/api/v1/manage/pricing-experiments").WithTags("Pricing").RequireAuthorization(Policies.Operator);
        manage.MapPost("", Create);
        manage.MapGet("", List);
        manage.MapGet("/{id:guid}/report", Report);
    }

    private static async Task<Created<PricingExperiment>> Create(ExperimentRequest request, Guid? tenantId, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken ct)
    {
        new Validation()
            .Required(request.Name, "name", 200)
            .Check(request.Variant is not null, "variant", "is required: the policy the treated lots run.")
            .Check(request.Share is > 0 and < 1, "share", "must be between 0 and 1 (the part of the lots that runs the variant).")
            .MaxLength(request.Seed, "seed", 100)
            .Check(request.StartsAt is not null, "startsAt", "is required.")
            .Check(request.EndsAt is not null && (request.StartsAt is null || request.EndsAt > request.StartsAt), "endsAt", "is required and must be after startsAt.")
            .ThrowIfInvalid();
        request.Variant!.Validate();
        var tenant = user.TenantForWrite(tenantId);
        var experiment = new PricingExperiment(Guid.CreateVersion7(), tenant, request.Name!.Trim(), request.Variant, request.Share!.Value,
            string.IsNullOrWhiteSpace(request.Seed) ? Guid.NewGuid().ToString("N") : request.Seed.Trim(), request.StartsAt!.Value, request.EndsAt!.Value);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into pricing_experiments (id, tenant_id, name, variant, share, seed, starts_at, ends_at)
            values (@Id, @TenantId, @Name, @variant::jsonb, @Share, @Seed, @StartsAt, @EndsAt)
            """, new { experiment.Id, experiment.TenantId, experiment.Name, variant = JsonSerializer.Serialize(experiment.Variant, PricingService.Json),
            experiment.Share, experiment.Seed, experiment.StartsAt, experiment.EndsAt }, tx, cancellationToken: ct));
        await AuditLog.RecordAsync(connection, tx, user, tenant, "pricing_experiment.created", "pricing_experiment", experiment.Id, request, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/manage/pricing-experiments/{experiment.Id}", experiment);
    }

    private static async Task<IReadOnlyList<PricingExperiment>> List(ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await LoadAsync(connection, user.TenantScope(), null, ct);
    }

    internal static async Task<IReadOnlyList<PricingExperiment>> LoadAsync(NpgsqlConnection connection, Guid? tenant, DateTimeOffset? runningAt, CancellationToken ct) =>
        (await connection.QueryAsync<ExperimentRow>(new CommandDefinition("""
            select id, tenant_id, name, variant::text as variant, share, seed, starts_at, ends_at from pricing_experiments
            where (@tenant::uuid is null or tenant_id = @tenant) and (@at::timestamptz is null or (starts_at <= @at and ends_at > @at))
            order by starts_at desc
            """, new { tenant, at = runningAt }, cancellationToken: ct))).Select(r => r.ToExperiment()).ToList();

    /// <summary>
    /// Per group, per lot: the share of recomputes in the experiment's window whose occupancy was in the lot's own target
    /// band, the revenue booked at the lot (reservations and meter sessions), and stays per space per day.
    /// </summary>
    private static async Task<ExperimentReport> Report(Guid id, ClaimsPrincipal user, NpgsqlDataSource db, TimeProvider time, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var experiment = (await LoadAsync(connection, user.TenantScope(), null, ct)).FirstOrDefault(e => e.Id == id) ?? throw new NotFoundException("Pricing experiment");
        var until = experiment.EndsAt < time.GetUtcNow() ? experiment.EndsAt : time.GetUtcNow();
        var days = Math.Max((until - experiment.StartsAt).TotalDays, 1.0 / 24);
        var lots = await connection.QueryAsync<LotOutcome>(new CommandDefinition("""
            select l.id as lot_id,
                   (select policy::text from pricing_policies p where p.lot_id = l.id) as policy,
                   (select count(*) from spaces s where s.lot_id = l.id) as spaces,
                   coalesce((select array_agg(h.occupancy) from price_history h where h.lot_id = l.id and h.at >= @from and h.at < @until and h.occupancy is not null), '{}') as occupancies,
                   coalesce((select sum(r.price) from reservations r where r.lot_id = l.id and r.status in ('confirmed', 'checked_in', 'completed', 'no_show')
                             and r.created_at >= @from and r.created_at < @until), 0)
                   + coalesce((select sum(m.amount) from meter_sessions m where m.lot_id = l.id and m.stopped_at >= @from and m.stopped_at < @until), 0) as revenue,
                   (select count(*) from reservations r where r.lot_id = l.id and r.status in ('checked_in', 'completed') and lower(r.during) >= @from and lower(r.during) < @until)
                   + (select count(*) from meter_sessions m where m.lot_id = l.id and m.started_at >= @from and m.started_at < @until) as stays
            from lots l where l.tenant_id = @TenantId
            """, new { experiment.TenantId, from = experiment.StartsAt, until }, cancellationToken: ct));
        var measured = lots.Select(l =>
        {
            var policy = PricingService.Parse(l.Policy);
            var inBand = l.Occupancies.Length == 0 ? 0 : l.Occupancies.Count(policy.IsInBand) / (double)l.Occupancies.Length;
            return (Treated: experiment.IsTreated(l.LotId), InBand: inBand, Revenue: (double)l.Revenue, Turnover: l.Spaces == 0 ? 0 : l.Stays / (double)l.Spaces / days);
        }).ToList();
        var treated = measured.Where(m => m.Treated).ToList();
        var control = measured.Where(m => !m.Treated).ToList();
        ExperimentGroup Group(string name, List<(bool Treated, double InBand, double Revenue, double Turnover)> g) =>
            new(name, g.Count, Estimate.Of(g.Select(m => m.InBand).ToList()), Estimate.Of(g.Select(m => m.Revenue).ToList()), Estimate.Of(g.Select(m => m.Turnover).ToList()));
        return new ExperimentReport(experiment, [Group("control", control), Group("variant", treated)],
            Estimate.Difference(treated.Select(m => m.InBand).ToList(), control.Select(m => m.InBand).ToList()),
            Estimate.Difference(treated.Select(m => m.Revenue).ToList(), control.Select(m => m.Revenue).ToList()),
            Estimate.Difference(treated.Select(m => m.Turnover).ToList(), control.Select(m => m.Turnover).ToList()));
    }

    private sealed class ExperimentRow
    {
        public Guid Id { get; init; }
        public Guid TenantId { get; init; }
        public string Name { get; init; } = "";
        public string Variant { get; init; } = "{}";
        public decimal Share { get; init; }
        public string Seed { get; init; } = "";
        public DateTimeOffset StartsAt { get; init; }
        public DateTimeOffset EndsAt { get; init; }

        public PricingExperiment ToExperiment() => new(Id, TenantId, Name, PricingService.Parse(Variant), Share, Seed, StartsAt, EndsAt);
    }

    private sealed class LotOutcome
    {
        public Guid LotId { get; init; }
        public string? Policy { get; init; }
        public long Spaces { get; init; }
        public double[] Occupancies { get; init; } = [];
        public decimal Revenue { get; init; }
        public long Stays { get; init; }
    }
}
