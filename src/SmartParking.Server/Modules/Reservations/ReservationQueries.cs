using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Reservations.Booking;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>What an operator may narrow a reservation search by; every field is optional.</summary>
public sealed record ReservationSearch(Guid? LotId = null, string? Status = null, string? Plate = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>A reservation that pays for a car's stay now: which, where, and until when.</summary>
public sealed record PaidReservation(Guid Id, Guid LotId, DateTimeOffset Until);

/// <summary>Reservation lists for the API and the web pages: a driver's own, and a tenant's for its operators.</summary>
public sealed class ReservationQueries(NpgsqlDataSource db, FieldProtector protector) : IReservationLots
{
    public Task<Page<ReservationResponse>> ListOwnAsync(Guid driverId, string? status, Paging paging, CancellationToken ct)
    {
        new Validation().OneOf(status, "status", ReservationStatus.All, required: false).ThrowIfInvalid();
        return ListAsync("r.driver_id = @driverId and (@status::text is null or r.status = @status)", new { driverId, status }, paging, ct);
    }

    /// <param name="tenant">The operator's tenant; null only for an admin looking across tenants.</param>
    public Task<Page<ReservationResponse>> ListForTenantAsync(Guid? tenant, ReservationSearch search, Paging paging, CancellationToken ct)
    {
        new Validation().OneOf(search.Status, "status", ReservationStatus.All, required: false).ThrowIfInvalid();
        return ListAsync(TenantWhere, TenantParameters(tenant, search, protector), paging, ct);
    }

    /// <summary>
    /// The confirmed or checked-in reservation for this (normalised) plate covering <paramref name="now"/>, the one ending
    /// last if several; for enforcement, in a tenant (null: an admin across tenants) and optionally one lot.
    /// </summary>
    public async Task<PaidReservation?> PaidForPlateAsync(string plate, Guid? tenant, Guid? lotId, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<(Guid Id, Guid LotId, DateTime Until)?>(new CommandDefinition("""
            select id, lot_id, upper(during) from reservations
            where (plate_index = @plateIndex or plate = @plate) and status in ('confirmed', 'checked_in') and during @> @now::timestamptz
              and (@tenant::uuid is null or tenant_id = @tenant) and (@lotId::uuid is null or lot_id = @lotId)
            order by upper(during) desc limit 1
            """, new { plate, plateIndex = ReservationFields.PlateIndex(protector, plate), now, tenant, lotId }, cancellationToken: ct));
        return row is { } r ? new PaidReservation(r.Id, r.LotId, new DateTimeOffset(r.Until, TimeSpan.Zero)) : null;
    }

    internal const string TenantWhere = """
        (@tenant::uuid is null or r.tenant_id = @tenant) and (@LotId::uuid is null or r.lot_id = @LotId)
        and (@Status::text is null or r.status = @Status) and (@plate::text is null or r.plate_index = @plateIndex or r.plate = @plate)
        and (@From::timestamptz is null or upper(r.during) > @From) and (@To::timestamptz is null or lower(r.during) < @To)
        """;

    internal static object TenantParameters(Guid? tenant, ReservationSearch search, FieldProtector protector)
    {
        var plate = Plates.Normalise(search.Plate);
        return new { tenant, search.LotId, search.Status, plate, plateIndex = ReservationFields.PlateIndex(protector, plate), search.From, search.To };
    }

    private async Task<Page<ReservationResponse>> ListAsync(string where, object parameters, Paging paging, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var p = new DynamicParameters(parameters);
        p.Add("limit", paging.PageSize);
        p.Add("offset", paging.Offset);
        var rows = await connection.QueryAsync<ReservationRow>(new CommandDefinition(
            $"{ReservationSql.Select} where {where} order by lower(r.during) desc, r.id limit @limit offset @offset", p, cancellationToken: ct));
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"select count(*) from reservations r where {where}", p, cancellationToken: ct));
        return new Page<ReservationResponse>(rows.Select(r => r.Opened(protector).ToResponse()).ToList(), paging.Page, paging.PageSize, total);
    }

    /// <summary>Per lot of the tenant: reservations overlapping [from, to) that were not abandoned (held, expired, cancelled before paying count too, as demand).</summary>
    public async Task<IReadOnlyDictionary<Guid, int>> CountByLotAsync(Guid? tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid LotId, int Count)>(new CommandDefinition("""
            select lot_id, count(*)::int from reservations
            where (@tenant::uuid is null or tenant_id = @tenant) and during && tstzrange(@from, @to) and status <> 'expired'
            group by lot_id
            """, new { tenant, from, to }, cancellationToken: ct))).ToDictionary(r => r.LotId, r => r.Count);
    }

    /// <summary>The lot of each reservation id given (for attributing ledger payments to lots).</summary>
    public async Task<IReadOnlyDictionary<Guid, Guid>> LotsOfAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return new Dictionary<Guid, Guid>();
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid Id, Guid LotId)>(new CommandDefinition(
            "select id, lot_id from reservations where id = any(@ids)", new { ids = ids.ToArray() }, cancellationToken: ct))).ToDictionary(r => r.Id, r => r.LotId);
    }
}
