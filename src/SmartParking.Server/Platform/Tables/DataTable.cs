using System.Globalization;
using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Exports;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Platform.Tables;

public enum TableFormat { Csv, Xlsx, Pdf }

/// <summary>A finished export: the file name goes into Content-Disposition.</summary>
/// <param name="Rows">How many rows the file holds, for a table's export.</param>
public sealed record TableFile(string FileName, string ContentType, byte[] Content, int? Rows = null);

/// <summary>A table seen without its row type: what the export endpoint and a generic UI need.</summary>
public interface ITable
{
    string Name { get; }
    string Title { get; }
    IReadOnlyList<TableColumnInfo> Columns { get; }

    /// <summary>Rows name or identify people: downloading the table is audited.</summary>
    bool PersonalData { get; }

    Task<TableFile> ExportAsync(ClaimsPrincipal user, TableRequest request, TableFormat format, CancellationToken ct);
}

/// <summary>
/// A table seen by what callers get, not by what the database returns: how another module (an operator page, a
/// report) reads a module's table without knowing its row type. <see cref="TableServices.AddTable{TTable}"/> registers it.
/// </summary>
public interface IDataTable<T> : ITable
{
    /// <summary>An export holds at most this many rows; more is a 400 asking for narrower filters, never a silently cut file.</summary>
    const int MaxExportRows = 100_000;

    TableDefinition<T> Definition { get; }
    Task<Page<T>> PageAsync(ClaimsPrincipal user, TableRequest request, CancellationToken ct);
    Task<IReadOnlyList<T>> AllRowsAsync(ClaimsPrincipal user, TableRequest request, int max, CancellationToken ct);
}

/// <summary>
/// The SQL of one request, built by a table from its parsed filters: <see cref="Select"/> is the column list,
/// <see cref="From"/> the tables and joins, <see cref="Where"/> the conditions (every value a parameter). The count runs
/// on From and Where alone, so per-row subqueries in the column list are not paid for it.
/// </summary>
public sealed record TableSql(string Select, string From, string Where, object? Parameters = null);

/// <summary>
/// A server-side table: page, sort and filter in PostgreSQL, scoped to the caller's tenant by the subclass.
/// <typeparamref name="TRow"/> is what Dapper reads; <typeparamref name="T"/> what callers get (often the same).
/// </summary>
public abstract class DataTable<TRow, T>(NpgsqlDataSource db) : IDataTable<T>
{
    public abstract TableDefinition<T> Definition { get; }
    public string Name => Definition.Name;
    public string Title => Definition.Title;
    public IReadOnlyList<TableColumnInfo> Columns => Definition.Headers;
    public bool PersonalData => Definition.PersonalData;

    /// <summary>Parses the request's filters (400 on bad values), checks scope (404 for another tenant's parent) and builds the SQL.</summary>
    protected abstract Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct);

    /// <summary>Turns database rows into results; override to add what other modules know (names, live state) in one go.</summary>
    protected abstract Task<IReadOnlyList<T>> MapAsync(IReadOnlyList<TRow> rows, CancellationToken ct);

    public async Task<Page<T>> PageAsync(ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var sql = await BuildAsync(connection, user, request, ct);
        var orderBy = Definition.OrderBy(request);
        var parameters = new DynamicParameters(sql.Parameters);
        parameters.Add("__limit", request.PageSize);
        parameters.Add("__offset", request.Paging.Offset);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"select count(*) {sql.From} {sql.Where}", parameters, cancellationToken: ct));
        var rows = (await connection.QueryAsync<TRow>(new CommandDefinition(
            $"{sql.Select} {sql.From} {sql.Where} {orderBy} limit @__limit offset @__offset", parameters, cancellationToken: ct))).ToList();
        return new Page<T>(await MapAsync(rows, ct), request.Page, request.PageSize, total);
    }

    /// <summary>Every row the request selects, in its order, up to <paramref name="max"/>; more is a 400.</summary>
    public async Task<IReadOnlyList<T>> AllRowsAsync(ClaimsPrincipal user, TableRequest request, int max, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var sql = await BuildAsync(connection, user, request, ct);
        var parameters = new DynamicParameters(sql.Parameters);
        parameters.Add("__limit", max + 1);
        var rows = (await connection.QueryAsync<TRow>(new CommandDefinition(
            $"{sql.Select} {sql.From} {sql.Where} {Definition.OrderBy(request)} limit @__limit", parameters, cancellationToken: ct))).ToList();
        if (rows.Count > max)
            throw new ValidationException("rows", $"the {Name} table selects more than {max.ToString("N0", CultureInfo.InvariantCulture)} rows; narrow it with filters to export it.");
        return await MapAsync(rows, ct);
    }

    public async Task<TableFile> ExportAsync(ClaimsPrincipal user, TableRequest request, TableFormat format, CancellationToken ct)
    {
        var rows = await AllRowsAsync(user, request, IDataTable<T>.MaxExportRows, ct);
        var now = DateTimeOffset.UtcNow;
        var stamp = now.ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture);
        return format switch
        {
            TableFormat.Xlsx => new TableFile($"{Name}-{stamp}.xlsx", TableExport.XlsxType, TableExport.Xlsx(Title, rows, Definition.ExportColumns), rows.Count),
            TableFormat.Pdf => new TableFile($"{Name}-{stamp}.pdf", TableExport.PdfType, TableExport.Pdf(Title, rows, Definition.ExportColumns, now), rows.Count),
            _ => new TableFile($"{Name}-{stamp}.csv", TableExport.CsvType, TableExport.Csv(rows, Definition.ExportColumns), rows.Count),
        };
    }
}

/// <summary>A table whose rows are returned as read.</summary>
public abstract class DataTable<T>(NpgsqlDataSource db) : DataTable<T, T>(db)
{
    protected override Task<IReadOnlyList<T>> MapAsync(IReadOnlyList<T> rows, CancellationToken ct) => Task.FromResult(rows);
}
