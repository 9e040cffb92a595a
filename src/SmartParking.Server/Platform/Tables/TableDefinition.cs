using System.Text.Json.Serialization;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Exports;

namespace SmartParking.Server.Platform.Tables;

/// <summary>
/// How a UI should show a column's values: money sits beside a currency column, instants are UTC, a share is a
/// fraction from 0 to 1 (occupancy) that reads as a percentage.
/// </summary>
// Written as lower-case text by the API's JSON options (text, number, money, instant, boolean, share).
[JsonConverter(typeof(JsonStringEnumConverter<ColumnKind>))]
public enum ColumnKind { Text, Number, Money, Instant, Boolean, Share }

/// <param name="Key">The name a request sorts by and a UI refers to.</param>
/// <param name="SortSql">The SQL expression behind the key; null = not sortable. Only these expressions ever reach ORDER BY.</param>
public sealed record TableColumn<T>(string Key, string Header, Func<T, object?> Value, ColumnKind Kind = ColumnKind.Text, string? SortSql = null)
{
    public bool Sortable => SortSql is not null;
}

/// <summary>A column as a UI renders its header.</summary>
public sealed record TableColumnInfo(string Key, string Header, ColumnKind Kind, bool Sortable);

/// <summary>
/// One table's columns, declared once: they give the page query its ORDER BY (from a whitelist of keys), the CSV/XLSX
/// export its columns, and a UI its headers, so the three cannot drift apart.
/// </summary>
public sealed class TableDefinition<T>
{
    /// <param name="name">The table's name in URLs (exports/{name}) and file names.</param>
    /// <param name="tieBreakerSql">A unique expression appended to every ORDER BY, so pages never overlap or skip rows.</param>
    public TableDefinition(string name, string title, IReadOnlyList<TableColumn<T>> columns, string defaultSort, SortDirection defaultDirection, string tieBreakerSql)
    {
        if (columns.Select(c => c.Key).Distinct(StringComparer.OrdinalIgnoreCase).Count() != columns.Count) throw new ArgumentException("Column keys must be unique.", nameof(columns));
        if (columns.FirstOrDefault(c => c.Key == defaultSort) is not { Sortable: true }) throw new ArgumentException("The default sort must be a sortable column.", nameof(defaultSort));
        Name = name;
        Title = title;
        Columns = columns;
        DefaultSort = defaultSort;
        DefaultDirection = defaultDirection;
        TieBreakerSql = tieBreakerSql;
        Headers = columns.Select(c => new TableColumnInfo(c.Key, c.Header, c.Kind, c.Sortable)).ToList();
        ExportColumns = columns.Select(c => new ExportColumn<T>(c.Header, c.Value)).ToList();
    }

    public string Name { get; }
    public string Title { get; }

    /// <summary>Rows name or identify people (e-mail addresses, plates, payers): staff downloading it is audited.</summary>
    public bool PersonalData { get; init; }

    public IReadOnlyList<TableColumn<T>> Columns { get; }
    public string DefaultSort { get; }
    public SortDirection DefaultDirection { get; }
    public string TieBreakerSql { get; }
    public IReadOnlyList<TableColumnInfo> Headers { get; }
    public IReadOnlyList<ExportColumn<T>> ExportColumns { get; }

    /// <summary>The ORDER BY clause for a request; a key that is not a sortable column is a 400 naming "sort".</summary>
    public string OrderBy(TableRequest request)
    {
        var key = request.Sort ?? DefaultSort;
        var column = Columns.FirstOrDefault(c => c.Sortable && string.Equals(c.Key, key, StringComparison.OrdinalIgnoreCase))
            ?? throw new ValidationException("sort", $"must be one of: {string.Join(", ", Columns.Where(c => c.Sortable).Select(c => c.Key))}.");
        var direction = request.Sort is null ? DefaultDirection : request.Direction;
        var dir = direction == SortDirection.Descending ? "desc" : "asc";
        // A column may sort by several expressions (label by length, then text); each takes the direction.
        var keys = SplitTopLevel(column.SortSql!).Select(e => $"{e} {dir} nulls last");
        return $"order by {string.Join(", ", keys)}, {TieBreakerSql} {dir}";
    }

    private static IEnumerable<string> SplitTopLevel(string sql)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < sql.Length; i++)
        {
            if (sql[i] == '(') depth++;
            else if (sql[i] == ')') depth--;
            else if (sql[i] == ',' && depth == 0)
            {
                yield return sql[start..i].Trim();
                start = i + 1;
            }
        }
        yield return sql[start..].Trim();
    }
}
