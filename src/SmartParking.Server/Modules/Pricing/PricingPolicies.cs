using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>
/// Operators' policies for lots and zones, for the API and the dashboard. A saved policy governs the price at once: the
/// unit's demand rate keeps its place relative to the base (a base raised 50 % raises it 50 %), is held within the new
/// floor and cap, and today's time-of-day and event factors are applied — so drivers never see a quote from the new
/// policy beside a "price now" from the old one. The scheduler's next steps then start from there.
/// </summary>
public sealed class PricingPolicies(NpgsqlDataSource db, LotCatalog lots, AvailabilityModel availability, EventOutbox outbox, AuditLog audit, TimeProvider time, PricingInputsCache shown)
{
    public const string PolicyChangedRule = "policy_changed";

    public async Task<PricingPolicy> LotPolicyAsync(Guid lotId, ClaimsPrincipal user, CancellationToken ct)
    {
        var lot = await lots.FindForOperatorAsync(lotId, user, ct);
        return PricingService.Parse(await OwnPolicyAsync(lot.Id, ct));
    }

    /// <summary>The zone's own policy; 404 when it has none and is priced with its lot.</summary>
    public async Task<PricingPolicy> ZonePolicyAsync(Guid zoneId, ClaimsPrincipal user, CancellationToken ct)
    {
        await lots.FindZoneLotForOperatorAsync(zoneId, user, ct);
        return PricingService.Parse(await OwnPolicyAsync(zoneId, ct) ?? throw new NotFoundException("A pricing policy of this zone's own (it is priced with its lot)"));
    }

    public async Task SaveLotPolicyAsync(Guid lotId, PricingPolicy policy, ClaimsPrincipal user, CancellationToken ct)
    {
        policy.Validate();
        await SaveAsync(user, await lots.FindForOperatorAsync(lotId, user, ct), null, policy, ct);
    }

    /// <summary>Gives the zone a policy of its own: it is priced apart from now on, by its own occupancy.</summary>
    public async Task SaveZonePolicyAsync(Guid zoneId, PricingPolicy policy, ClaimsPrincipal user, CancellationToken ct)
    {
        policy.Validate();
        await SaveAsync(user, await lots.FindZoneLotForOperatorAsync(zoneId, user, ct), zoneId, policy, ct);
    }

    /// <summary>The zone goes back to being priced with its lot, at once on every node.</summary>
    public async Task DeleteZonePolicyAsync(Guid zoneId, ClaimsPrincipal user, CancellationToken ct)
    {
        var lot = await lots.FindZoneLotForOperatorAsync(zoneId, user, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var deleted = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "delete from pricing_policies where unit_id = @zoneId returning true", new { zoneId }, tx, cancellationToken: ct));
        if (!deleted) throw new NotFoundException("A pricing policy of this zone's own");
        await connection.ExecuteAsync(new CommandDefinition("delete from lot_prices where unit_id = @zoneId", new { zoneId }, tx, cancellationToken: ct));
        await outbox.AppendAsync(connection, tx, new PriceChanged(zoneId, lot.Id, zoneId, lot.TenantId, null, null, time.GetUtcNow()), ct);
        await audit.RecordAsync(connection, tx, user, lot.TenantId, "pricing_policy.deleted", "zone", zoneId, null, ct);
        await tx.CommitAsync(ct);
        shown.Changed();
    }

    private async Task<string?> OwnPolicyAsync(Guid unitId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select policy::text from pricing_policies where unit_id = @unitId", new { unitId }, cancellationToken: ct));
    }

    private async Task SaveAsync(ClaimsPrincipal user, LotFacts lot, Guid? zoneId, PricingPolicy policy, CancellationToken ct)
    {
        var unitId = zoneId ?? lot.Id;
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The unit's price row is locked so a scheduler run cannot interleave between reading and writing it.
        var current = await connection.QuerySingleOrDefaultAsync<(decimal Peak, decimal OffPeak, string? Old)?>(new CommandDefinition("""
            select p.peak_demand_rate, p.off_peak_demand_rate, (select policy::text from pricing_policies where unit_id = @unitId)
            from lot_prices p where p.unit_id = @unitId for update
            """, new { unitId }, tx, cancellationToken: ct));
        var oldPolicy = current?.Old is { } old ? PricingService.Parse(old) : zoneId is null ? PricingPolicy.Default : null;
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into pricing_policies (lot_id, zone_id, tenant_id, policy) values (@Id, @zoneId, @TenantId, @json::jsonb)
            on conflict (unit_id) do update set policy = excluded.policy, updated_at = now()
            """, new { lot.Id, zoneId, lot.TenantId, json = JsonSerializer.Serialize(policy, PricingService.Json) }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, user, lot.TenantId, "pricing_policy.updated", zoneId is null ? "lot" : "zone", unitId, policy, ct);

        // A lot in a running experiment's variant group is priced by the variant, which this policy does not change.
        var experiments = await PricingExperiments.LoadAsync(connection, lot.TenantId, now, ct);
        if (zoneId is null && experiments.Any(e => e.Unit == ExperimentUnits.Lots && e.IsTreated(lot.Id)))
        {
            await tx.CommitAsync(ct);
            shown.Changed();
            return;
        }

        // With no price yet the unit stood at its old base; a zone getting its first policy starts at its new base.
        // Each band's demand rate keeps its place relative to the base.
        var oldBase = oldPolicy?.BaseFor(lot) ?? policy.BaseFor(lot);
        var previous = current is { } c ? new DemandRates(c.Peak, c.OffPeak) : DemandRates.Both(oldBase);
        var rates = oldBase == 0 ? DemandRates.Both(PricingEngine.Bound(lot, policy, policy.BaseFor(lot)))
            : previous.Scaled(policy.BaseFor(lot) / oldBase, rate => PricingEngine.Bound(lot, policy, rate));
        var events = await PricingService.EventsAsync(connection, lot.TenantId, now, now.AddSeconds(1), ct);
        var (rateNow, timeFactor, surge, _) = PricingEngine.RateAt(lot, policy, events, rates, now);
        var typeRates = policy.TypeMultipliers?.Keys.ToDictionary(t => t, t => PricingEngine.RateAt(lot, policy, events, rates, now, t).Rate);
        var counts = zoneId is { } z ? availability.ZoneCounts(lot.Id, z) : availability.Lot(lot.Id)?.Counts;
        var inService = counts is null ? 0 : counts.Free + counts.Occupied + counts.Reserved;
        double? occupancy = inService == 0 ? null : (double)(counts!.Occupied + counts.Reserved) / inService;
        var peak = PricingEngine.IsPeak(lot, policy, now);
        await PriceSteps.WriteAsync(outbox, connection, tx,
            [new PriceStep(lot.TenantId, lot.Id, zoneId, now, occupancy, null, peak, previous.For(peak), rates, rateNow, typeRates, PolicyChangedRule, timeFactor, surge)], ct);
        await tx.CommitAsync(ct);
        shown.Changed();
    }
}
