using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Reservations.Booking;
using SmartParking.Server.Modules.Reservations.Rules;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>The clock's moves of many reservations at once, each with its event in the same transaction.</summary>
public sealed partial class ReservationService
{
    /// <summary>Releases confirmed reservations whose driver did not arrive within the lot's grace; each is a no-show with the lot's fee.</summary>
    internal async Task<int> MarkNoShowsAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct)
    {
        var defaultGrace = ReservationPolicy.Default(0).NoShowGraceMinutes;
        return await MoveManyAsync(connection, """
            update reservations r set status = 'no_show', updated_at = @now
            where r.status = 'confirmed'
              and lower(r.during) + make_interval(mins => coalesce((select p.no_show_grace_minutes from reservation_policies p where p.lot_id = r.lot_id), @defaultGrace)) <= @now
            returning r.id
            """, new { now, defaultGrace }, async rows =>
        {
            var events = new List<ReservationEvent>(rows.Count);
            foreach (var lotRows in rows.GroupBy(r => r.LotId))
            {
                var fee = await lots.FindAsync(lotRows.Key, ct) is { } lot ? (await ReservationPolicies.ForLotAsync(connection, lot, ct)).NoShowFee : 0;
                events.AddRange(lotRows.Select(r => new ReservationNoShow(r.ToFacts(), fee)));
            }
            return events;
        }, ct);
    }

    /// <summary>Holds past their expiry (and not found paid) go back.</summary>
    internal Task<int> ExpireHoldsAsync(NpgsqlConnection connection, IReadOnlyCollection<Guid> ids, DateTimeOffset now, CancellationToken ct) =>
        MoveManyAsync(connection,
            "update reservations set status = 'expired', updated_at = @now where id = any(@ids) and status = 'held' and hold_expires_at <= @now returning id",
            new { now, ids = ids.ToArray() }, rows => Task.FromResult<IReadOnlyCollection<ReservationEvent>>([.. rows.Select(r => new ReservationExpired(r.ToFacts()))]), ct);

    /// <summary>Reminders before confirmed stays start, and notice before stays end (once per window).</summary>
    internal async Task AnnounceSoonAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct)
    {
        await MoveManyAsync(connection, """
            update reservations set starting_soon_at = @now
            where status = 'confirmed' and starting_soon_at is null and lower(during) > @now and lower(during) <= @now + @lead
            returning id
            """, new { now, lead = TimeSpan.FromMinutes(options.Value.ReminderMinutes) },
            rows => Task.FromResult<IReadOnlyCollection<ReservationEvent>>([.. rows.Select(r => new ReservationStartingSoon(r.ToFacts()))]), ct);
        await MoveManyAsync(connection, """
            update reservations set ending_soon_at = @now
            where status in ('confirmed', 'checked_in') and ending_soon_at is null and upper(during) > @now and upper(during) <= @now + @lead
            returning id
            """, new { now, lead = TimeSpan.FromMinutes(options.Value.EndingSoonMinutes) },
            rows => Task.FromResult<IReadOnlyCollection<ReservationEvent>>([.. rows.Select(r => new ReservationEndingSoon(r.ToFacts()))]), ct);
    }

    /// <summary>Runs an update that returns the ids it moved, and records their events, in one transaction.</summary>
    private async Task<int> MoveManyAsync(NpgsqlConnection connection, string update, object parameters,
        Func<IReadOnlyList<ReservationRow>, Task<IReadOnlyCollection<ReservationEvent>>> happened, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        var ids = (await connection.QueryAsync<Guid>(new CommandDefinition(update, parameters, tx, cancellationToken: ct))).ToArray();
        if (ids.Length == 0) return 0;
        var rows = (await connection.QueryAsync<ReservationRow>(new CommandDefinition(ReservationSql.Select + " where r.id = any(@ids)", new { ids }, tx, cancellationToken: ct))).Select(r => r.Opened(protector)).ToList();
        await RecordAsync(connection, tx, await happened(rows), ct);
        await tx.CommitAsync(ct);
        return ids.Length;
    }
}
