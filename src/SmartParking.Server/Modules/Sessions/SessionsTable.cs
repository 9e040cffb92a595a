using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Sessions;

/// <summary>
/// A tenant's pay-as-you-park sessions for its operators. Filters: plate (exact, normalised like enforcement does),
/// lotId, status (active|stopped|expired), from/to (sessions overlapping the window), tenantId (admins).
/// </summary>
public sealed class SessionsTable(NpgsqlDataSource db, FieldProtector protector, AuditLog audit) : DataTable<SessionRow, SessionResponse>(db)
{
    public static readonly string[] Statuses = ["active", "stopped", "expired"];

    public static readonly TableDefinition<SessionResponse> Table = new("sessions", "Meter sessions",
    [
        new("startedAt", "Started", s => s.StartedAt, ColumnKind.Instant, "m.started_at"),
        new("endsAt", "Paid until", s => s.EndsAt, ColumnKind.Instant, "m.ends_at"),
        new("stoppedAt", "Stopped", s => s.StoppedAt, ColumnKind.Instant, "m.stopped_at"),
        // Sealed at rest: filtered by its blind index (plate=), not sortable.
        new("plate", "Plate", s => s.Plate),
        new("status", "Status", s => s.Status, SortSql: "m.status"),
        new("ratePerHour", "Rate per hour", s => s.RatePerHour, ColumnKind.Money, "m.rate_per_hour"),
        new("amount", "Amount", s => s.Amount, ColumnKind.Money, "m.amount"),
        new("currency", "Currency", s => s.Currency, SortSql: "m.currency"),
        new("lotId", "Lot", s => s.LotId, SortSql: LotsSql.LotName("m.lot_id")),
        new("id", "Id", s => s.Id),
    ], "startedAt", SortDirection.Descending, "m.id") { PersonalData = true };

    public override TableDefinition<SessionResponse> Definition => Table;

    protected override async Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var plate = request.Text("plate", 20);
        var args = new
        {
            tenant = user.TenantScope(request.Guid("tenantId")), lotId = request.Guid("lotId"), status = request.OneOf("status", Statuses),
            plate = Plates.Normalise(plate), plateIndex = Plates.Normalise(plate) is { } normalised ? SessionFields.PlateIndex(protector, normalised) : null, from = request.Instant("from"), to = request.Instant("to"),
        };
        if (args.plate is not null) await audit.PlateSearchedAsync(connection, user, args.tenant, args.plate, Name, ct);
        return new TableSql("select m.*", "from meter_sessions m", """
            where (@tenant::uuid is null or m.tenant_id = @tenant) and (@lotId::uuid is null or m.lot_id = @lotId)
              and (@status::text is null or m.status = @status) and (@plate::text is null or m.plate_index = @plateIndex or m.plate = @plate)
              and (@from::timestamptz is null or coalesce(m.stopped_at, m.ends_at) > @from) and (@to::timestamptz is null or m.started_at < @to)
            """, args);
    }

    protected override Task<IReadOnlyList<SessionResponse>> MapAsync(IReadOnlyList<SessionRow> rows, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<SessionResponse>>(rows.Select(r => r.Opened(protector).ToResponse()).ToList());
}

/// <summary>What the reports need from sessions, without reading the Sessions module's tables.</summary>
public sealed class SessionStats(NpgsqlDataSource db)
{
    /// <summary>Per lot: sessions that overlapped [from, to).</summary>
    public async Task<IReadOnlyDictionary<Guid, int>> CountByLotAsync(Guid? tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid LotId, int Count)>(new CommandDefinition("""
            select lot_id, count(*)::int from meter_sessions
            where (@tenant::uuid is null or tenant_id = @tenant) and started_at < @to and coalesce(stopped_at, ends_at) > @from
            group by lot_id
            """, new { tenant, from, to }, cancellationToken: ct))).ToDictionary(r => r.LotId, r => r.Count);
    }

    /// <summary>The lot of each session id given (for attributing ledger payments to lots).</summary>
    public async Task<IReadOnlyDictionary<Guid, Guid>> LotsOfAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return new Dictionary<Guid, Guid>();
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid Id, Guid LotId)>(new CommandDefinition(
            "select id, lot_id from meter_sessions where id = any(@ids)", new { ids = ids.ToArray() }, cancellationToken: ct))).ToDictionary(r => r.Id, r => r.LotId);
    }
}
