using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Sessions;

/// <summary>
/// Pay-as-you-park: a session runs for a plate until the driver stops it or its paid time runs out, and is charged
/// per started minute at the rate locked when it started. One running session per plate and lot, by a unique index.
/// </summary>
/// <remarks>
/// The lot's and zone's parking rules decide how long a session may run (<see cref="PlaceRules"/>); a meter session is
/// an ordinary vehicle's, so a loading window is closed to it as a no-parking one is.
/// </remarks>
public sealed class SessionService(
    NpgsqlDataSource db, LotCatalog lots, ZoneRuleBook rules, PricingService pricing, IPaymentService payments, EventOutbox outbox, IOptions<SessionOptions> options,
    TimeProvider time, FieldProtector protector)
{
    /// <summary>The longest a session may run where no rule of the place limits the stay.</summary>
    public const int DefaultMaxStayMinutes = 240;

    /// <summary>The longest a session may run anywhere (the rules decide within it).</summary>
    public const int LongestSessionMinutes = 10_080;

    public async Task<SessionRow> StartAsync(Guid driverId, StartSessionRequest request, CancellationToken ct)
    {
        new Validation()
            .Check(request.LotId is not null, "lotId", "is required.")
            .Check(Plates.IsValid(request.Plate), "plate", $"is required: {Plates.Rule}.")
            .Check(request.DurationMinutes is >= 1 and <= LongestSessionMinutes, "durationMinutes", $"must be between 1 and {LongestSessionMinutes}.")
            .ThrowIfInvalid();
        var lot = await lots.FindAsync(request.LotId!.Value, ct) ?? throw new NotFoundException("Lot");
        await using var connection = await db.OpenConnectionAsync(ct);
        if (request.ZoneId is { } zoneId && !await lots.HasZoneAsync(lot.Id, zoneId, ct))
            throw new ValidationException("zoneId", "is not a zone of this lot.");
        var now = time.GetUtcNow().ToWholeSecond();
        var place = (await ZoneRuleBook.ForLotAsync(connection, lot, ct)).For(request.ZoneId);
        var maxStay = place.LongestStayMinutes(now, Ceiling(place), loadingVehicle: false);
        if (request.DurationMinutes > maxStay)
            throw new ValidationException("durationMinutes", $"{Why(place, now, now.AddMinutes(request.DurationMinutes!.Value))}The longest stay from now is {maxStay} minutes.");
        var id = Guid.CreateVersion7();
        var plate = Plates.Normalise(request.Plate)!;
        try
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into meter_sessions (id, tenant_id, lot_id, zone_id, driver_id, plate_encrypted, plate_index, started_at, ends_at, status, rate_per_hour, currency, max_stay_minutes, created_at, updated_at)
                values (@id, @TenantId, @LotId, @ZoneId, @driverId, @plateEncrypted, @plateIndex, @now, @endsAt, 'active', @rate, @Currency, @maxStay, @now, @now)
                """, new
            {
                id, lot.TenantId, LotId = lot.Id, request.ZoneId, driverId, plateEncrypted = protector.Seal(plate, SessionFields.Plate),
                plateIndex = SessionFields.PlateIndex(protector, plate), now,
                endsAt = now.AddMinutes(request.DurationMinutes!.Value), rate = await pricing.RateAtAsync(connection, lot, now, new PriceScope(request.ZoneId, DriverId: driverId), ct), lot.Currency, maxStay,
            }, tx, cancellationToken: ct));
            await outbox.AppendAsync(connection, tx, new SessionStarted((await FindAsync(connection, id, ct, tx)).ToFacts()), ct);
            await tx.CommitAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ConflictException("This plate already has a running session at this lot; extend it instead.", code: Refusals.SessionRunning);
        }
        return await FindAsync(connection, id, ct);
    }

    /// <summary>More time, as far as the place's rules (as they are now) allow the whole stay from its start.</summary>
    public async Task<SessionRow> ExtendAsync(Guid driverId, Guid id, ExtendSessionRequest request, CancellationToken ct)
    {
        new Validation().Check(request.AddMinutes is >= 1 and <= LongestSessionMinutes, "addMinutes", $"must be between 1 and {LongestSessionMinutes}.").ThrowIfInvalid();
        var row = await FindOwnAsync(driverId, id, ct);
        if (row.Status != "active" || row.EndsAt <= time.GetUtcNow()) throw new ConflictException($"The session has ended ({row.Status}); start a new one.", code: Refusals.SessionEnded);
        var endsAt = row.EndsAt.AddMinutes(request.AddMinutes!.Value);
        var lot = await lots.FindAsync(row.LotId, ct) ?? throw new NotFoundException("Lot");
        var place = await rules.ForPlaceAsync(lot, row.ZoneId, ct);
        var maxStay = place.LongestStayMinutes(row.StartedAt, Ceiling(place), loadingVehicle: false);
        if (endsAt > row.StartedAt.AddMinutes(maxStay))
            throw new ValidationException("addMinutes", $"{Why(place, row.StartedAt, endsAt)}The session can run until {LocalTimes.Format(row.StartedAt.AddMinutes(maxStay), lot.TimeZone)}.");
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var moved = await connection.ExecuteAsync(new CommandDefinition(
            "update meter_sessions set ends_at = @endsAt, updated_at = @now, expiring_at = null where id = @id and status = 'active' and ends_at = @old",
            new { id, endsAt, old = row.EndsAt, now = time.GetUtcNow() }, tx, cancellationToken: ct));
        if (moved == 0) throw new ConflictException("The session changed meanwhile; load it and try again.", code: Refusals.ChangedMeanwhile);
        var extended = await FindAsync(connection, id, ct, tx);
        await outbox.AppendAsync(connection, tx, new SessionExtended(extended.ToFacts(), row.EndsAt), ct);
        await tx.CommitAsync(ct);
        return extended;
    }

    public async Task<SessionRow> StopAsync(Guid driverId, Guid id, CancellationToken ct)
    {
        var row = await FindOwnAsync(driverId, id, ct);
        if (row.Status != "active") throw new ConflictException($"The session has already ended ({row.Status}).", code: Refusals.SessionEnded);
        var now = time.GetUtcNow().ToWholeSecond();
        await using var connection = await db.OpenConnectionAsync(ct);
        // Stopping after the paid time ran out is the expiry, charged to the end of the paid time.
        var (status, endedAt) = now < row.EndsAt ? ("stopped", now) : ("expired", row.EndsAt);
        if (!await EndAsync(connection, row, status, endedAt, ct)) throw new ConflictException("The session changed meanwhile; load it and try again.", code: Refusals.ChangedMeanwhile);
        await ChargeAsync(connection, await FindAsync(connection, id, ct), ct);
        return await FindAsync(connection, id, ct);
    }

    /// <summary>Ends the session and fixes its amount in one step; the charge follows and is retried until made.</summary>
    internal async Task<bool> EndAsync(NpgsqlConnection connection, SessionRow row, string status, DateTimeOffset endedAt, CancellationToken ct)
    {
        var minutes = Math.Max(1, (int)Math.Ceiling((endedAt - row.StartedAt).TotalMinutes));
        var amount = Math.Round(row.RatePerHour * minutes / 60m, 2, MidpointRounding.AwayFromZero);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await connection.ExecuteAsync(new CommandDefinition("""
                update meter_sessions set status = @status, stopped_at = @endedAt, amount = @amount, updated_at = @now where id = @Id and status = 'active'
                """, new { row.Id, status, endedAt, amount, now = time.GetUtcNow() }, tx, cancellationToken: ct)) != 1)
            return false;
        await outbox.AppendAsync(connection, tx, status == "expired" ? new SessionExpired(row.ToFacts(), amount) : new SessionStopped(row.ToFacts(), endedAt, amount), ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Sessions whose paid time runs out within Sessions:ExpiringMinutes are announced, once per end time.</summary>
    internal async Task AnnounceExpiringAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rows = (await connection.QueryAsync<SessionRow>(new CommandDefinition("""
            update meter_sessions set expiring_at = @now
            where status = 'active' and expiring_at is null and ends_at > @now and ends_at <= @now + @lead
            returning *
            """, new { now, lead = TimeSpan.FromMinutes(options.Value.ExpiringMinutes) }, tx, cancellationToken: ct))).Select(r => r.Opened(protector)).ToList();
        await outbox.AppendAsync(connection, tx, [.. rows.Select(r => new SessionExpiring(r.ToFacts()))], ct);
        await tx.CommitAsync(ct);
    }

    internal async Task ChargeAsync(NpgsqlConnection connection, SessionRow row, CancellationToken ct)
    {
        if (row.Amount is > 0 and var amount)
        {
            var zone = await lots.TimeZoneOfAsync(row.LotId, ct);
            await payments.ChargeAsync(new ChargeRequest(row.TenantId, row.DriverId, PaymentPurpose.Session, row.Id, amount, row.Currency.Trim(),
                $"session:{row.Id}", $"Parking {row.Plate}, {LocalTimes.Range(row.StartedAt, row.StoppedAt ?? row.EndsAt, zone)}", zone), ct);
        }
        await connection.ExecuteAsync(new CommandDefinition("update meter_sessions set charged = true where id = @Id", new { row.Id }, cancellationToken: ct));
    }

    public async Task<SessionRow> FindOwnAsync(Guid driverId, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await FindAsync(connection, id, ct);
        return row.DriverId == driverId ? row : throw new NotFoundException("Session");
    }

    public async Task<Page<SessionResponse>> ListOwnAsync(Guid driverId, bool? active, Paging paging, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var filter = new { driverId, active, limit = paging.PageSize, offset = paging.Offset };
        const string where = "driver_id = @driverId and (@active::boolean is null or (status = 'active') = @active)";
        var rows = await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"select * from meter_sessions where {where} order by started_at desc, id limit @limit offset @offset", filter, cancellationToken: ct));
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"select count(*) from meter_sessions where {where}", filter, cancellationToken: ct));
        return new Page<SessionResponse>(rows.Select(r => r.Opened(protector).ToResponse()).ToList(), paging.Page, paging.PageSize, total);
    }

    internal async Task<SessionRow> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken ct, NpgsqlTransaction? tx = null) =>
        (await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition("select * from meter_sessions where id = @id", new { id }, tx, cancellationToken: ct))
        ?? throw new NotFoundException("Session")).Opened(protector);

    private static int Ceiling(PlaceRules place) => place.LimitsStay ? LongestSessionMinutes : DefaultMaxStayMinutes;

    /// <summary>The rule a stay breaks, as a sentence, or the default limit where no rule limits the stay.</summary>
    private static string Why(PlaceRules place, DateTimeOffset start, DateTimeOffset end) =>
        place.Check(start, end, loadingVehicle: false) is { } breach ? breach.Detail + " "
        : $"The maximum stay here is {Ceiling(place)} minutes. ";
}
