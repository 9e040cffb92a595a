using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Analytics.Rollups;

/// <summary>
/// Keeps the rollups' facts from domain events and recomputes the hours they touch. Delivery is at least once: every
/// fact is keyed by a natural id (space and arrival time, reservation, session, payment or refund id) and an hour is
/// recomputed from its facts, so a redelivered event leaves the numbers as they were.
/// </summary>
public sealed class RollupLedger(NpgsqlDataSource db, RollupStore store, SpacePlaces places, IOptions<RollupOptions> options, TimeProvider time) :
    IEventHandler<SpaceStatusChanged>,
    IEventHandler<ReservationHeld>, IEventHandler<ReservationConfirmed>, IEventHandler<ReservationCheckedIn>, IEventHandler<ReservationCompleted>,
    IEventHandler<ReservationCancelled>, IEventHandler<ReservationNoShow>,
    IEventHandler<SessionStarted>, IEventHandler<PaymentSucceeded>, IEventHandler<RefundIssued>
{
    public async Task HandleAsync(SpaceStatusChanged e, EventEnvelope envelope, CancellationToken ct)
    {
        var spaces = await places.OfAsync(e.Tenant, e.Spaces.Select(s => s.SpaceId).Distinct().ToList(), ct);
        var known = e.Spaces.Where(c => spaces.ContainsKey(c.SpaceId) && !IsTooOld(c.ObservedAt)).ToList();
        var dirty = new HashSet<DirtyHour>();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // A batch names a space once as a rule; should it name one twice, the k-th change of every space goes in round k.
        var rounds = known.GroupBy(c => c.SpaceId).SelectMany(g => g.OrderBy(c => c.ObservedAt).Select((change, round) => (change, round))).GroupBy(x => x.round)
            .OrderBy(g => g.Key).Select(g => g.Select(x => x.change).ToList());
        foreach (var round in rounds)
        {
            var arrivals = round.Where(c => c.Status == "occupied").Select(c => (Space: spaces[c.SpaceId], c.ObservedAt)).ToList();
            // A stay goes on through a spell of unknown (a sensor offline): only a space with no open stay gets an arrival.
            var opened = await connection.QueryAsync<(Guid LotId, DateTimeOffset ArrivedAt)>(new CommandDefinition("""
                insert into analytics_arrivals (space_id, arrived_at, tenant_id, lot_id, zone_id, space_type)
                select x.space_id, x.at, x.tenant_id, x.lot_id, x.zone_id, x.space_type
                from unnest(@spaceIds::uuid[], @ats::timestamptz[], @tenants::uuid[], @lots::uuid[], @zones::uuid[], @types::text[])
                    as x(space_id, at, tenant_id, lot_id, zone_id, space_type)
                where not exists (select 1 from analytics_arrivals a where a.space_id = x.space_id and a.left_at is null and a.arrived_at <= x.at)
                on conflict (space_id, arrived_at) do nothing
                returning lot_id, arrived_at
                """, new
            {
                spaceIds = arrivals.Select(a => a.Space.Id).ToArray(), ats = arrivals.Select(a => a.ObservedAt).ToArray(),
                tenants = arrivals.Select(a => a.Space.TenantId).ToArray(), lots = arrivals.Select(a => a.Space.LotId).ToArray(),
                zones = arrivals.Select(a => a.Space.ZoneId).ToArray(), types = arrivals.Select(a => a.Space.Type).ToArray(),
            }, tx, cancellationToken: ct));
            var departures = round.Where(c => c.Status == "free").ToList();
            // The dwell counts in the hour of the arrival.
            var closed = await connection.QueryAsync<(Guid LotId, DateTimeOffset ArrivedAt)>(new CommandDefinition("""
                update analytics_arrivals a set left_at = x.at
                from unnest(@spaceIds::uuid[], @ats::timestamptz[]) as x(space_id, at)
                where a.space_id = x.space_id and a.left_at is null and a.arrived_at <= x.at
                returning a.lot_id, a.arrived_at
                """, new { spaceIds = departures.Select(d => d.SpaceId).ToArray(), ats = departures.Select(d => d.ObservedAt).ToArray() }, tx, cancellationToken: ct));
            foreach (var (lotId, arrivedAt) in opened.Concat(closed)) dirty.Add(DirtyHour.Of(lotId, arrivedAt));
        }
        // Ingest writes one of these events per batch: the hours are recomputed by the job, a round at a time.
        await RollupStore.MarkAsync(connection, tx, dirty, ct);
        await tx.CommitAsync(ct);
    }

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
