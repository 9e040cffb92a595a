using System.Data.Common;
using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Privacy;

/// <summary>
/// Whose data a rights request is about, and for whom it is read: <see cref="Tenant"/> null reads everything (the
/// person themselves, an administrator); an operator's request names their tenant, and tables that belong to a tenant
/// give only that tenant's rows.
/// </summary>
public sealed record DataSubject(Guid UserId, Guid? Tenant = null);

/// <summary>One table of an export: its name (the file name of its CSV), its column names and its rows, in order.</summary>
public sealed record PersonalDataTable(string Name, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<object?>> Rows)
{
    /// <summary>Runs a query on the holder's own table and keeps what it returns as it is, column names included.</summary>
    public static async Task<PersonalDataTable> ReadAsync(NpgsqlConnection connection, string name, string sql, object parameters, CancellationToken ct)
    {
        await using var reader = (DbDataReader)await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: ct));
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        var rows = new List<IReadOnlyList<object?>>();
        while (await reader.ReadAsync(ct))
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i))]);
        return new PersonalDataTable(name, columns, rows);
    }

    /// <summary>
    /// The table with a field sealed at rest shown in clear: where <paramref name="sealedColumn"/> holds a value it is
    /// opened into <paramref name="column"/> (rows not sealed yet keep their clear value), and the sealed column is left out.
    /// </summary>
    public PersonalDataTable Opened(string column, string sealedColumn, Func<byte[], string> open)
    {
        var clear = Columns.ToList().IndexOf(column);
        var sealedAt = Columns.ToList().IndexOf(sealedColumn);
        if (clear < 0 || sealedAt < 0) throw new ArgumentException($"the table {Name} has no column {column} or {sealedColumn}");
        return new PersonalDataTable(Name, Columns.Where((_, i) => i != sealedAt).ToList(), Rows.Select(row =>
        {
            var cells = row.ToList();
            if (cells[sealedAt] is byte[] sealedValue) cells[clear] = open(sealedValue);
            cells.RemoveAt(sealedAt);
            return (IReadOnlyList<object?>)cells;
        }).ToList());
    }
}

/// <summary>
/// The one transaction an erasure runs in, handed to every holder in turn: all of them commit together or none does.
/// <see cref="Pseudonym"/> is random (never derived from the person) and replaces their identity in what must be kept.
/// </summary>
public sealed record ErasureScope(Guid UserId, string Pseudonym, NpgsqlConnection Connection, NpgsqlTransaction Transaction, DateTimeOffset Now);

/// <summary>
/// Implemented by every module that holds personal data, in its own folder and on its own tables: Privacy never reads
/// them. Export gives the person's rows; erase removes them, or replaces the person by the pseudonym in rows that must be
/// kept (bookkeeping), on the scope's connection and transaction only.
/// </summary>
public interface IPersonalDataHolder
{
    /// <summary>The module, in the archive's table names ("payments.refunds").</summary>
    string Area { get; }

    Task<IReadOnlyList<PersonalDataTable>> ExportAsync(DataSubject subject, CancellationToken ct);

    /// <summary>Whether the person has any row in the tenant (an operator may act only for the people of their tenant).</summary>
    Task<bool> KnowsInTenantAsync(Guid userId, Guid tenantId, CancellationToken ct) => Task.FromResult(false);

    Task EraseAsync(ErasureScope scope, CancellationToken ct);
}

/// <summary>The purposes a person consents to beyond what the service needs.</summary>
public static class ConsentPurposes
{
    /// <summary>News and offers by the driver's notification channels.</summary>
    public const string MarketingNotifications = "marketing_notifications";

    /// <summary>Analysis of the person's own behaviour beyond running the service (per-driver experiment reports).</summary>
    public const string Analytics = "analytics";

    public static readonly string[] All = [MarketingNotifications, Analytics];
}

/// <summary>Where a consent was given or withdrawn.</summary>
public static class ConsentSources
{
    public const string Web = "web";
    public const string Api = "api";
    public const string Chat = "chat";

    public static readonly string[] All = [Web, Api, Chat];
}

/// <summary>One change of consent for one purpose.</summary>
public sealed record ConsentChange(string Purpose, bool Granted, string Source, string PolicyVersion, DateTimeOffset RecordedAt);

/// <summary>Consent as the rest of the platform asks for it; every module that acts on a purpose asks here first.</summary>
public interface IConsents
{
    /// <summary>Those of the given people whose latest word on the purpose is yes.</summary>
    Task<IReadOnlySet<Guid>> GrantedAsync(string purpose, IReadOnlyCollection<Guid> userIds, CancellationToken ct);

    /// <summary>Records a change (nothing when it is the current state already), under the policy version in force.</summary>
    Task RecordAsync(Guid userId, string purpose, bool granted, string source, CancellationToken ct);
}
