using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.OpenApi;
using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;

namespace SmartParking.Server.Modules.Pricing;

public sealed record ExperimentRequest(
    [property: Required] string? Name,
    [property: Vocabulary(typeof(ExperimentUnits), nameof(ExperimentUnits.All))] string? Unit,
    [property: Required] PricingPolicy? Variant,
    [property: Required, Description("The part of the lots or drivers that runs the variant, between 0 and 1 (both excluded).")] decimal? Share,
    string? Seed,
    [property: Required, Description("An ISO 8601 date-time with an offset, e.g. 2026-03-01T09:00:00+01:00.")] DateTimeOffset? StartsAt,
    [property: Required, Description("An ISO 8601 date-time with an offset, e.g. 2026-03-01T09:00:00+01:00.")] DateTimeOffset? EndsAt);

/// <summary>
/// One group's outcome, per unit (lot or driver). Turnover is stays per space per day for lots and stays per driver for
/// drivers. Occupancy in band belongs to a lot, so a driver split has none: both groups park in the same lots.
/// </summary>
public sealed record ExperimentGroup(string Group, int Units, Estimate? InBandShare, Estimate Revenue, Estimate Turnover);

public sealed record ExperimentReport(PricingExperiment Experiment, IReadOnlyList<ExperimentGroup> Groups,
    Estimate? InBandDifference, Estimate RevenueDifference, Estimate TurnoverDifference);

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

    private static async Task<Created<PricingExperiment>> Create(ExperimentRequest request, Guid? tenantId, ClaimsPrincipal user, PricingExperiments experiments, CancellationToken ct)
    {
        var experiment = await experiments.CreateAsync(user, request, tenantId, ct);
        return TypedResults.Created($"/api/v1/manage/pricing-experiments/{experiment.Id}", experiment);
    }

    private static Task<IReadOnlyList<PricingExperiment>> List(ClaimsPrincipal user, PricingExperiments experiments, CancellationToken ct) => experiments.ListAsync(user, ct);

    private static Task<ExperimentReport> Report(Guid id, ClaimsPrincipal user, PricingExperiments experiments, CancellationToken ct) => experiments.ReportAsync(user, id, ct);
}

/// <summary>Creates, lists and reports on pricing experiments in the caller's tenant, for the REST endpoints and the dashboard.</summary>
public sealed class PricingExperiments(NpgsqlDataSource db, LotCatalog lots, IConsents consents, AuditLog audit, TimeProvider time, PricingInputsCache shown)
{
    public async Task<PricingExperiment> CreateAsync(ClaimsPrincipal user, ExperimentRequest request, Guid? tenantId, CancellationToken ct)
    {
        new Validation()
            .Required(request.Name, "name", 200)
            .OneOf(request.Unit, "unit", ExperimentUnits.All, required: false)
            .Check(request.Variant is not null, "variant", "is required: the policy the treated lots or drivers run.")
            .Check(request.Share is > 0 and < 1, "share", "must be between 0 and 1 (the part of the lots or drivers that runs the variant).")
            .MaxLength(request.Seed, "seed", 100)
            .Check(request.StartsAt is not null, "startsAt", "is required.")
            .Check(request.EndsAt is not null && (request.StartsAt is null || request.EndsAt > request.StartsAt), "endsAt", "is required and must be after startsAt.")
            .ThrowIfInvalid();
        request.Variant!.Validate();
        var tenant = user.TenantForWrite(tenantId);
        var experiment = new PricingExperiment(Guid.CreateVersion7(), tenant, request.Name!.Trim(), request.Unit ?? ExperimentUnits.Lots, request.Variant, request.Share!.Value,
            string.IsNullOrWhiteSpace(request.Seed) ? Guid.NewGuid().ToString("N") : request.Seed.Trim(), request.StartsAt!.Value, request.EndsAt!.Value);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into pricing_experiments (id, tenant_id, name, unit, variant, share, seed, starts_at, ends_at)
            values (@Id, @TenantId, @Name, @Unit, @variant::jsonb, @Share, @Seed, @StartsAt, @EndsAt)
            """, new { experiment.Id, experiment.TenantId, experiment.Name, experiment.Unit, variant = JsonSerializer.Serialize(experiment.Variant, PricingService.Json),
            experiment.Share, experiment.Seed, experiment.StartsAt, experiment.EndsAt }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, user, tenant, "pricing_experiment.created", "pricing_experiment", experiment.Id, request, ct);
        await tx.CommitAsync(ct);
        shown.Changed();
        return experiment;
    }

    public async Task<IReadOnlyList<PricingExperiment>> ListAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await LoadAsync(connection, user.TenantScope(), null, ct);
    }

    internal static async Task<IReadOnlyList<PricingExperiment>> LoadAsync(NpgsqlConnection connection, Guid? tenant, DateTimeOffset? runningAt, CancellationToken ct) =>
        (await connection.QueryAsync<ExperimentRow>(new CommandDefinition($"""
            {ExperimentRow.Select}
            where (@tenant::uuid is null or tenant_id = @tenant) and (@at::timestamptz is null or (starts_at <= @at and ends_at > @at))
            order by starts_at desc
            """, new { tenant, at = runningAt }, cancellationToken: ct))).Select(r => r.ToExperiment()).ToList();

    /// <summary>
    /// Per group, per lot: the share of recomputes in the experiment's window whose occupancy was in the lot's own target
    /// band, the revenue booked at the lot (what was paid, net of refunds, for reservations confirmed and meter sessions
    /// ended in the window), and stays per space per day. Per group, per driver (who booked or parked at the tenant's
    /// lots in the window): revenue and stays. Stays and money come from Pricing's own ledger of their events
    /// (<see cref="ExperimentLedger"/>).
    /// </summary>
    public async Task<ExperimentReport> ReportAsync(ClaimsPrincipal user, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var experiment = (await LoadAsync(connection, user.TenantScope(), null, ct)).FirstOrDefault(e => e.Id == id) ?? throw new NotFoundException("Pricing experiment");
        var until = experiment.EndsAt < time.GetUtcNow() ? experiment.EndsAt : time.GetUtcNow();
        var window = new { experiment.TenantId, from = experiment.StartsAt, until };
        var byLot = experiment.Unit == ExperimentUnits.Lots;
        var measured = byLot
            ? await LotOutcomesAsync(connection, experiment, await lots.SpaceCountsAsync(experiment.TenantId, ct), window, Math.Max((until - experiment.StartsAt).TotalDays, 1.0 / 24), ct)
            : await DriverOutcomesAsync(connection, consents, experiment, window, ct);
        var treated = measured.Where(m => m.Treated).ToList();
        var control = measured.Where(m => !m.Treated).ToList();
        ExperimentGroup Group(string name, List<Outcome> g) => new(name, g.Count,
            byLot ? Estimate.Of(g.Select(m => m.InBand).ToList()) : null, Estimate.Of(g.Select(m => m.Revenue).ToList()), Estimate.Of(g.Select(m => m.Turnover).ToList()));
        return new ExperimentReport(experiment, [Group("control", control), Group("variant", treated)],
            byLot ? Estimate.Difference(treated.Select(m => m.InBand).ToList(), control.Select(m => m.InBand).ToList()) : null,
            Estimate.Difference(treated.Select(m => m.Revenue).ToList(), control.Select(m => m.Revenue).ToList()),
            Estimate.Difference(treated.Select(m => m.Turnover).ToList(), control.Select(m => m.Turnover).ToList()));
    }

    private sealed record Outcome(bool Treated, double InBand, double Revenue, double Turnover);

    // What was paid for each stay, net of refunds (for a query over pricing_stays "s").
    private const string Paid = "left join lateral (select sum(r.amount) as amount from pricing_revenue r where r.reference_id = s.id) paid on true";

    // A reservation earns while it stands (not cancelled); a stay is a reservation checked in or any meter session.
    private const string Earns = "(s.kind = 'session' or s.status in ('confirmed', 'checked_in', 'completed', 'no_show'))";
    private const string Stayed = "(s.kind = 'session' or s.status in ('checked_in', 'completed'))";

    private static async Task<List<Outcome>> LotOutcomesAsync(NpgsqlConnection connection, PricingExperiment experiment, IReadOnlyDictionary<Guid, int> spaces, object window,
        double days, CancellationToken ct)
    {
        var parameters = new DynamicParameters(window);
        parameters.Add("lotIds", spaces.Keys.ToArray());
        // Booked at the lot in the window: reservations by when they were confirmed, sessions by when they ended (and were charged).
        var lotRows = await connection.QueryAsync<LotOutcome>(new CommandDefinition($"""
            with stays as (
                select s.lot_id,
                       coalesce(sum(paid.amount) filter (where {Earns} and case when s.kind = 'session' then s.ended_at else s.booked_at end >= @from
                                                        and case when s.kind = 'session' then s.ended_at else s.booked_at end < @until), 0) as revenue,
                       count(*) filter (where {Stayed} and s.started_at >= @from and s.started_at < @until) as stays
                from pricing_stays s {Paid}
                where s.tenant_id = @TenantId and s.booked_at < @until
                group by s.lot_id)
            select l.lot_id,
                   (select policy::text from pricing_policies p where p.unit_id = l.lot_id) as policy,
                   coalesce((select array_agg(h.occupancy) from price_history h where h.unit_id = l.lot_id and h.at >= @from and h.at < @until and h.occupancy is not null), array[]::double precision[]) as occupancies,
                   coalesce(st.revenue, 0) as revenue, coalesce(st.stays, 0) as stays
            from unnest(@lotIds::uuid[]) as l(lot_id) left join stays st on st.lot_id = l.lot_id
            """, parameters, cancellationToken: ct));
        return lotRows.Select(l =>
        {
            var policy = PricingService.Parse(l.Policy);
            var inBand = l.Occupancies.Length == 0 ? 0 : l.Occupancies.Count(policy.IsInBand) / (double)l.Occupancies.Length;
            var lotSpaces = spaces[l.LotId];
            return new Outcome(experiment.IsTreated(l.LotId), inBand, (double)l.Revenue, lotSpaces == 0 ? 0 : l.Stays / (double)lotSpaces / days);
        }).ToList();
    }

    /// <summary>
    /// Per driver: analysis of a person's own behaviour, beyond what running the service needs, so only drivers who
    /// consented to analytics count (the others still get the experiment's prices; they are left out of its report).
    /// </summary>
    private static async Task<List<Outcome>> DriverOutcomesAsync(NpgsqlConnection connection, IConsents consents, PricingExperiment experiment, object window,
        CancellationToken ct)
    {
        // The drivers who booked (reservations confirmed) or parked (sessions started) in the window.
        var drivers = (await connection.QueryAsync<(Guid DriverId, decimal Revenue, long Stays)>(new CommandDefinition($"""
            select s.driver_id, coalesce(sum(paid.amount) filter (where {Earns}), 0), count(*) filter (where {Stayed})
            from pricing_stays s {Paid}
            where s.tenant_id = @TenantId and s.booked_at >= @from and s.booked_at < @until
            group by s.driver_id
            """, window, cancellationToken: ct))).AsList();
        var consenting = await consents.GrantedAsync(ConsentPurposes.Analytics, [.. drivers.Select(d => d.DriverId)], ct);
        return drivers.Where(d => consenting.Contains(d.DriverId)).Select(d => new Outcome(experiment.IsTreated(d.DriverId), 0, (double)d.Revenue, d.Stays)).ToList();
    }

    private sealed class LotOutcome
    {
        public Guid LotId { get; init; }
        public string? Policy { get; init; }
        public double[] Occupancies { get; init; } = [];
        public decimal Revenue { get; init; }
        public long Stays { get; init; }
    }
}
