using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Analytics.Rollups;

/// <summary>
/// Keeps the rollups current from domain events. Delivery is at least once: a status batch is kept under its event id
/// and counted once; every booking or money fact is keyed by a natural id (reservation, session, payment or refund id)
/// and its hour is recomputed from its facts, so a redelivered event leaves the numbers as they were.
/// </summary>
public sealed class RollupLedger(NpgsqlDataSource db, RollupStore store, SpacePlaces places, IOptions<RollupOptions> options, TimeProvider time) :
    IEventHandler<SpaceStatusChanged>,
    IEventHandler<ReservationHeld>, IEventHandler<ReservationConfirmed>, IEventHandler<ReservationCheckedIn>, IEventHandler<ReservationCompleted>,
    IEventHandler<ReservationCancelled>, IEventHandler<ReservationNoShow>,
    IEventHandler<SessionStarted>, IEventHandler<PaymentSucceeded>, IEventHandler<RefundIssued>
{
    /// <summary>
    /// Ingest writes one of these per batch, so its cost is what rollups add to every batch: the changes are counted per
    /// bucket here and kept as one row, which the job adds to the rollups (a departure carries its stay's start, so no
    /// per-space state is needed).
    /// </summary>
    public async Task HandleAsync(SpaceStatusChanged e, EventEnvelope envelope, CancellationToken ct)
    {
        var spaces = await places.OfAsync(e.Tenant, e.Spaces.Select(s => s.SpaceId).Distinct().ToList(), ct);
        var counts = new Dictionary<StayBucket, int>();
        var days = new Dictionary<(Guid, DateTimeOffset), DateTimeOffset>();
        foreach (var change in e.Spaces)
        {
            if (!spaces.TryGetValue(change.SpaceId, out var space)) continue;
            var (kind, stayStart) = change.IsArrival ? ((short)0, change.ObservedAt)
                : change.EndedStay is { } dwell ? (DwellBucket(dwell), change.StayStartedAt!.Value) : ((short)-1, default);
            if (kind < 0) continue;
            var hour = stayStart.ToWholeHour();
            if (!days.TryGetValue((space.LotId, hour), out var day)) days[(space.LotId, hour)] = day = await store.DayStartAsync(space.LotId, hour, ct);
            var bucket = new StayBucket(space.LotId, space.ZoneId, space.Type, hour, day, kind);
            counts[bucket] = counts.GetValueOrDefault(bucket) + 1;
        }
        await store.KeepStatusBatchAsync(envelope.EventId, e.Tenant, time.GetUtcNow(), counts, ct);
    }

    private static readonly TimeSpan[] DwellBounds =
        [TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4), TimeSpan.FromHours(8)];

    /// <summary>1 for under 15 minutes up to 7 for 8 hours and more.</summary>
    private static short DwellBucket(TimeSpan dwell) => (short)(1 + DwellBounds.Count(bound => dwell >= bound));

    public Task HandleAsync(ReservationHeld e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, null, ct);

    public Task HandleAsync(ReservationConfirmed e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, "confirmed", ct);

    // Checked in, completed or a no-show: it was confirmed, even if that event came before this subscriber existed.
    public Task HandleAsync(ReservationCheckedIn e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, "confirmed", ct);

    public Task HandleAsync(ReservationCompleted e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, "confirmed", ct);

    public Task HandleAsync(ReservationCancelled e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, "cancelled", ct);

    public Task HandleAsync(ReservationNoShow e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, "no_show", ct);

    public async Task HandleAsync(SessionStarted e, EventEnvelope envelope, CancellationToken ct)
    {
        var s = e.Session;
        await StayAsync(new Stay(s.SessionId, "session", s.TenantId, s.LotId, s.ZoneId, null, s.StartedAt, false, false, false), ct);
    }

    public Task HandleAsync(PaymentSucceeded e, EventEnvelope envelope, CancellationToken ct) =>
        MoneyAsync(e.Payment.PaymentId, e.Payment, e.Payment.Amount, envelope.OccurredAt, ct);

    public Task HandleAsync(RefundIssued e, EventEnvelope envelope, CancellationToken ct) =>
        MoneyAsync(e.RefundId, e.Payment, -e.RefundAmount, envelope.OccurredAt, ct);

    private bool IsTooOld(DateTimeOffset at) => at < time.GetUtcNow().AddDays(-options.Value.FactRetentionDays);

    private async Task ReservationAsync(ReservationFacts r, string? flag, CancellationToken ct)
    {
        var zone = (await places.OfAsync(r.TenantId, [r.SpaceId], ct)).GetValueOrDefault(r.SpaceId)?.ZoneId;
        await StayAsync(new Stay(r.ReservationId, "reservation", r.TenantId, r.LotId, zone, r.SpaceType, r.Start,
            flag == "confirmed", flag == "cancelled", flag == "no_show"), ct);
    }

    private sealed record Stay(Guid Id, string Kind, Guid TenantId, Guid LotId, Guid? ZoneId, string? SpaceType, DateTimeOffset StartsAt,
        bool Confirmed, bool Cancelled, bool NoShow);

    /// <summary>Flags only turn on, so the row ends the same whatever order (or how often) its events come.</summary>
    private async Task StayAsync(Stay stay, CancellationToken ct)
    {
        if (IsTooOld(stay.StartsAt)) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into analytics_stays as s (id, kind, tenant_id, lot_id, zone_id, space_type, starts_at, confirmed, cancelled, no_show)
            values (@Id, @Kind, @TenantId, @LotId, @ZoneId, @SpaceType, @StartsAt, @Confirmed, @Cancelled, @NoShow)
            on conflict (id) do update set starts_at = excluded.starts_at,
                confirmed = s.confirmed or excluded.confirmed, cancelled = s.cancelled or excluded.cancelled, no_show = s.no_show or excluded.no_show
            """, stay, cancellationToken: ct));
        // Money may have come before the stay that tells its lot: its hours count now.
        var moneyHours = await connection.QueryAsync<DateTimeOffset>(new CommandDefinition(
            "select distinct date_trunc('hour', at) from analytics_money where reference_id = @Id", new { stay.Id }, cancellationToken: ct));
        await store.RecomputeAsync([DirtyHour.Of(stay.LotId, stay.StartsAt), .. moneyHours.Select(h => DirtyHour.Of(stay.LotId, h))], ct);
    }

    /// <summary>Money counts for the lot of the reservation or session it paid for; other payments (wallet top-ups) have no lot.</summary>
    private async Task MoneyAsync(Guid id, PaymentFacts payment, decimal amount, DateTimeOffset at, CancellationToken ct)
    {
        if (IsTooOld(at)) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into analytics_money (id, reference_id, at, currency, amount) values (@id, @ReferenceId, @at, @Currency, @amount)
            on conflict (id) do nothing
            """, new { id, payment.ReferenceId, at, payment.Currency, amount }, cancellationToken: ct));
        var lotId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "select lot_id from analytics_stays where id = @ReferenceId", new { payment.ReferenceId }, cancellationToken: ct));
        if (lotId is { } lot) await store.RecomputeAsync([DirtyHour.Of(lot, at)], ct);
    }
}
