using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Reservations.Booking;
using SmartParking.Server.Modules.Reservations.Rules;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>
/// Booking, paying, extending, cancelling and checking in and out. Double booking is prevented by the database's
/// exclusion constraint, not by checks here: an overlapping insert fails and is answered with the conflicting window.
/// </summary>
public sealed partial class ReservationService(
    NpgsqlDataSource db, LotCatalog lots, PricingService pricing, IPaymentService payments, EventOutbox outbox,
    IOptions<ReservationOptions> options, TimeProvider time, FieldProtector protector, AuditLog audit)
{
    private const string Live = "('held', 'confirmed', 'checked_in')";

    public async Task<ReservationRow> CreateAsync(Guid driverId, ReservationRequest request, CancellationToken ct)
    {
        new Validation()
            .Check(request.LotId is not null, "lotId", "is required.")
            .Check(request.SpaceId is not null ^ request.SpaceType is not null, "spaceId", "give either spaceId or spaceType.")
            .OneOf(request.SpaceType, "spaceType", LotsVocabulary.SpaceTypes, required: false)
            .Check(request.Start is not null, "start", "is required.")
            .Check(request.End is not null, "end", "is required.")
            .Instant(request.Start, "start")
            .Instant(request.End, "end")
            .Check(request.Start is null || request.End is null || request.End > request.Start, "end", "must be after start.")
            .Check(request.Plate is null || Plates.IsValid(request.Plate), "plate", $"must be {Plates.Rule}.")
            .ThrowIfInvalid();
        var lot = await lots.FindAsync(request.LotId!.Value, ct) ?? throw new NotFoundException("Lot");
        var start = request.Start!.Value.ToWholeSecond();
        var end = request.End!.Value.ToWholeSecond();
        // Whole seconds, as the answer is built here and must equal what the database keeps (microseconds).
        var now = time.GetUtcNow().ToWholeSecond();
        await using var connection = await db.OpenConnectionAsync(ct);
        // One round trip for the space and the lot's rules: a booking is a handful of round trips in all.
        SpaceFacts? space;
        ReservationPolicy policy;
        PricingInputs inputs;
        var parameters = new DynamicParameters(PricingService.InputsParameters(lot, start, end));
        parameters.AddDynamicParams(new { spaceId = request.SpaceId ?? Guid.Empty, lotId = lot.Id });
        LotRules lotRules;
        await using (var all = await connection.QueryMultipleAsync(new CommandDefinition(
            $"{SpaceFacts.Select} where s.id = @spaceId; {ReservationPolicies.Select}; {PricingService.InputsSql}; {ZoneRuleBook.SelectOfLot}", parameters, cancellationToken: ct)))
        {
            space = await all.ReadSingleOrDefaultAsync<SpaceFacts>();
            policy = await all.ReadSingleOrDefaultAsync<ReservationPolicy>() ?? ReservationPolicy.Default(lot.BaseHourlyRate);
            inputs = await PricingService.ReadInputsAsync(all);
            lotRules = await ZoneRuleBook.ReadOfLotAsync(all, lot);
        }
        // The window is checked before it is priced: pricing walks its days.
        CheckWindow(lot, policy, start, end, now);
        // Priced for the space it gets: its zone may have a policy of its own, its type a factor, the driver a test group.
        NewReservation For(SpaceFacts s)
        {
            var quote = PricingService.Quote(lot, inputs, start, end, new PriceScope(s.ZoneId, s.Type, driverId));
            return new NewReservation(Guid.CreateVersion7(), lot.TenantId, lot.Id, driverId, Plates.Normalise(request.Plate), start, end,
                quote.Amount, quote.Currency, now.AddSeconds(options.Value.HoldSeconds), now);
        }

        if (request.SpaceId is not null)
        {
            if (space is null || space.LotId != lot.Id) throw new ValidationException("spaceId", "is not a space of this lot.");
            if (space.OutOfService) throw new ConflictException("This space is out of service.", code: Refusals.OutOfService);
            if (lotRules.For(space.ZoneId).Check(start, end, space.Type == ZoneRuleKinds.LoadingSpaceType) is { } breach) throw RuleConflict(breach);
            return await TryInsertAsync(connection, For(space), space, options.Value.MaxUnpaidHolds, ct) ?? throw await ConflictAsync(connection, space.Id, start, end, lot.TimeZone, ct);
        }

        // Any space of the type whose zone's rules allow the stay (the lot's own rules bind every zone).
        var loading = request.SpaceType == ZoneRuleKinds.LoadingSpaceType;
        if (lotRules.For(null).Check(start, end, loading) is { } lotBreach) throw RuleConflict(lotBreach);
        var refused = lotRules.ByZone.Keys.Select(zone => (Zone: zone, Breach: lotRules.For(zone).Check(start, end, loading))).Where(z => z.Breach is not null).ToList();
        var refusedZones = refused.Select(z => z.Zone).ToArray();
        // Pick a free one at random (so concurrent bookings rarely pick the same), and if another booking took it in
        // between, the constraint says so and the next one is tried.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var candidate = await connection.QuerySingleOrDefaultAsync<SpaceFacts>(new CommandDefinition($"""
                {SpaceFacts.Select}
                where s.lot_id = @lotId and s.type = @type and not s.out_of_service
                  and (s.zone_id is null or not s.zone_id = any(@refusedZones))
                  and not exists (select 1 from reservations r where r.space_id = s.id and r.status in {Live} and r.during && tstzrange(@start, @end, '[)'))
                order by random() limit 1
                """, new { lotId = lot.Id, type = request.SpaceType, start, end, refusedZones }, cancellationToken: ct));
            if (candidate is null) break;
            if (await TryInsertAsync(connection, For(candidate), candidate, options.Value.MaxUnpaidHolds, ct) is { } booked) return booked;
        }
        if (refused.Count > 0)
            throw new ConflictException($"No {request.SpaceType} space is free in this lot for the whole window where the rules allow it. {refused[0].Breach!.Detail}",
                new Dictionary<string, object?> { ["rule"] = refused[0].Breach!.Rule.Text }, code: Refusals.NoSpaceFree);
        throw new ConflictException($"No {request.SpaceType} space is free in this lot for the whole window.", code: Refusals.NoSpaceFree);
    }

    /// <summary>409 naming the parking rule a stay breaks, in the lot's local time.</summary>
    private static ConflictException RuleConflict(RuleBreach breach) =>
        new(breach.Detail, new Dictionary<string, object?> { ["rule"] = breach.Rule.Text });

    private sealed record SpaceFacts(Guid Id, Guid LotId, Guid? ZoneId, string Type, string Label, bool OutOfService)
    {
        public const string Select = LotsSql.SpaceFacts;
    }

    private static void CheckWindow(LotFacts lot, ReservationPolicy policy, DateTimeOffset start, DateTimeOffset end, DateTimeOffset now)
    {
        var minutes = (end - start).TotalMinutes;
        new Validation()
            .Check(policy.Reservable, "lotId", "this lot does not take reservations.")
            .Check(start >= now.AddMinutes(policy.MinLeadMinutes) || (policy.MinLeadMinutes == 0 && start >= now.AddMinutes(-1)), "start",
                policy.MinLeadMinutes == 0 ? "must not be in the past." : $"must be at least {policy.MinLeadMinutes} minutes from now.")
            .Check(start <= now.AddDays(policy.MaxLeadDays), "start", $"must be within {policy.MaxLeadDays} days from now.")
            .Check(minutes >= policy.MinDurationMinutes, "end", $"the stay must be at least {policy.MinDurationMinutes} minutes.")
            .Check(minutes <= policy.MaxDurationMinutes, "end", $"the stay must be at most {policy.MaxDurationMinutes} minutes.")
            .ThrowIfInvalid();
        // Only a window that passed the cheap checks is laid against the opening hours, which walks its days.
        new Validation().Check(lot.IsOpenThroughout(start, end), "start", $"the lot is closed during part of this window: {lot.ClosedText(start, end)}.").ThrowIfInvalid();
    }

    private sealed record NewReservation(
        Guid Id, Guid TenantId, Guid LotId, Guid DriverId, string? Plate, DateTimeOffset Start, DateTimeOffset End, decimal Price, string Currency,
        DateTimeOffset HoldExpires, DateTimeOffset Now);

    /// <summary>
    /// The held reservation, or null when the space is taken for an overlapping time; a 409 when the driver has
    /// <paramref name="maxUnpaidHolds"/> live holds already (0: no cap).
    /// </summary>
    private async Task<ReservationRow?> TryInsertAsync(NpgsqlConnection connection, NewReservation r, SpaceFacts space, int maxUnpaidHolds, CancellationToken ct)
    {
        var held = new ReservationRow
        {
            Id = r.Id, TenantId = r.TenantId, LotId = r.LotId, SpaceId = space.Id, SpaceLabel = space.Label, ZoneId = space.ZoneId, DriverId = r.DriverId,
            SpaceType = space.Type, Plate = r.Plate, Start = r.Start, End = r.End, Status = ReservationStatus.Held, Price = r.Price, Currency = r.Currency,
            HoldExpiresAt = r.HoldExpires, CreatedAt = r.Now,
        };
        var parameters = new DynamicParameters(r);
        parameters.AddDynamicParams(new
        {
            spaceId = space.Id, space.Type, lockClass = SpaceLockClass, lockKey = space.Id.ToString(),
            holdLockClass = HoldLockClass, driverKey = r.DriverId.ToString(), maxUnpaidHolds,
            plateEncrypted = protector.SealOrNull(r.Plate, ReservationFields.Plate), plateIndex = ReservationFields.PlateIndex(protector, r.Plate),
        });
        var capped = maxUnpaidHolds > 0;
        await using var tx = await connection.BeginTransactionAsync(ct);
        try
        {
            // Locks, insert and its event in one round trip; the event's wake-up goes out with the commit. The driver's lock (always
            // before the space's) serialises their own bookings, and the insert, a statement of its own whose snapshot
            // sees every hold committed before the lock was granted, counts their live holds: concurrent bookings cannot
            // all slip under the cap.
            await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
                {(capped ? "select 1 from pg_advisory_xact_lock(@holdLockClass, hashtext(@driverKey)) driver_lock;" : "")}
                select 1 from pg_advisory_xact_lock(@lockClass, hashtext(@lockKey)) space_lock;
                insert into reservations (id, tenant_id, lot_id, space_id, driver_id, space_type, plate_encrypted, plate_index, during, status, price, currency, hold_expires_at, created_at, updated_at)
                select @Id, @TenantId, @LotId, @spaceId, @DriverId, @Type, @plateEncrypted, @plateIndex, tstzrange(@Start, @End, '[)'), 'held', @Price, @Currency, @HoldExpires, @Now, @Now
                {(capped ? "where (select count(*) from reservations where driver_id = @DriverId and status = 'held' and hold_expires_at > @Now) < @maxUnpaidHolds" : "")}
                returning 1;
                {outbox.AppendSql(parameters, [new ReservationHeld(held.ToFacts(), r.HoldExpires)])}
                """, parameters, tx, cancellationToken: ct));
            if (capped) await results.ReadAsync<int>();
            await results.ReadAsync<int>();
            var inserted = (await results.ReadAsync<int>()).Any();
            // Every result is read here: what is left for the reader's disposal is read synchronously, and blocking a
            // pool thread per booking starved the server under load (bookings/s fell to a third).
            await results.ReadAsync<object>();
            if (!inserted)
                throw new ConflictException($"You have {maxUnpaidHolds} unpaid reservations already; pay for or cancel one before booking another.",
                    new Dictionary<string, object?> { ["maxUnpaidHolds"] = maxUnpaidHolds }, code: Refusals.UnpaidHolds);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            return null;
        }
        await tx.CommitAsync(ct);
        return held;
    }

    /// <summary>
    /// Writes that change a space's reservations queue on a lock per space until commit. Without it, concurrent inserts
    /// each wait for the other's uncommitted row in the exclusion check and deadlock (resolved only after
    /// deadlock_timeout), which under a rush for one space ties up connections; with it, each loser fails at once.
    /// </summary>
    internal static Task LockSpaceAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid spaceId, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(LockSpaceSql, new { lockClass = SpaceLockClass, lockKey = spaceId.ToString() }, tx, cancellationToken: ct));

    private const string LockSpaceSql = "select pg_advisory_xact_lock(@lockClass, hashtext(@lockKey))";

    // The two-key advisory lock space is separate from the single-key one the ingest and job locks use.
    private const int SpaceLockClass = 0x52_45_53; // "RES"
    private const int HoldLockClass = 0x48_4F_4C; // "HOL": one driver's bookings, while their holds are counted

    /// <summary>409 naming the window that is in the way, so the driver can pick another time.</summary>
    private static async Task<ConflictException> ConflictAsync(NpgsqlConnection connection, Guid spaceId, DateTimeOffset start, DateTimeOffset end, string timeZone,
        CancellationToken ct)
    {
        var other = await connection.QueryFirstOrDefaultAsync<(DateTime Start, DateTime End)?>(new CommandDefinition($"""
            select lower(during), upper(during) from reservations
            where space_id = @spaceId and status in {Live} and during && tstzrange(@start, @end, '[)') order by lower(during) limit 1
            """, new { spaceId, start, end }, cancellationToken: ct));
        var extensions = new Dictionary<string, object?>();
        if (other is not { } o) return new ConflictException("The space is already reserved for an overlapping time.", extensions, code: Refusals.SpaceReserved);
        var (from, until) = (new DateTimeOffset(o.Start, TimeSpan.Zero), new DateTimeOffset(o.End, TimeSpan.Zero));
        extensions["conflictingStart"] = from;
        extensions["conflictingEnd"] = until;
        return new ConflictException($"The space is already reserved {LocalTimes.Range(from, until, timeZone)}.", extensions, code: Refusals.SpaceReserved);
    }

    public async Task<ReservationRow> FindOwnAsync(Guid driverId, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await FindAsync(connection, id, ct);
        // Another driver's reservation is "not found", not "forbidden": its existence is not theirs to know.
        return row.DriverId == driverId ? row : throw new NotFoundException("Reservation");
    }

    internal async Task<ReservationRow> FindAsync(NpgsqlConnection connection, Guid id, CancellationToken ct, NpgsqlTransaction? tx = null) =>
        (await connection.QuerySingleOrDefaultAsync<ReservationRow>(new CommandDefinition(ReservationSql.Select + " where r.id = @id", new { id }, tx, cancellationToken: ct))
        ?? throw new NotFoundException("Reservation")).Opened(protector);

    /// <summary>
    /// Moves a reservation from one status to another if it is still in the first, and records what happened in the
    /// same transaction (the caller's, or one of its own); false if something else moved it.
    /// </summary>
    internal async Task<bool> TransitionAsync(NpgsqlConnection connection, Guid id, string from, string to, DateTimeOffset now, Func<ReservationFacts, ReservationEvent> happened,
        string extraSet = "", object? extra = null, NpgsqlTransaction? tx = null, CancellationToken ct = default)
    {
        var parameters = new DynamicParameters(extra);
        parameters.AddDynamicParams(new { id, from, to, now });
        var own = tx is null ? await connection.BeginTransactionAsync(ct) : null;
        try
        {
            if (await connection.ExecuteAsync(new CommandDefinition(
                    $"update reservations set status = @to, updated_at = @now{extraSet} where id = @id and status = @from", parameters, tx ?? own, cancellationToken: ct)) != 1)
                return false;
            await RecordAsync(connection, tx ?? own, [happened((await FindAsync(connection, id, ct, tx ?? own)).ToFacts())], ct);
            if (own is not null) await own.CommitAsync(ct);
            return true;
        }
        finally
        {
            if (own is not null) await own.DisposeAsync();
        }
    }

    /// <summary>Records reservation events in the transaction of the change they describe.</summary>
    internal Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, IReadOnlyCollection<ReservationEvent> events, CancellationToken ct) =>
        outbox.AppendAsync(connection, tx, events, ct);

}
