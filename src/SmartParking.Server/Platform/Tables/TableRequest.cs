using System.Globalization;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Platform.Tables;

public enum SortDirection { Ascending, Descending }

/// <summary>
/// What a table view asks for: a page, one sort column (a column key, never SQL) and direction, free text and named
/// filters. Filters travel as text, as they arrive in a query string, so the API, the exports and the dashboard build
/// the same request; each table parses the ones it knows with the typed accessors below (a bad value is a 400 naming it).
/// </summary>
public sealed record TableRequest
{
    private static readonly IReadOnlyDictionary<string, string?> NoFilters = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Query-string keys that are part of the request itself rather than a filter.</summary>
    public static readonly IReadOnlySet<string> ReservedKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "page", "pageSize", "sort", "dir", "q", "format" };

    public int Page { get; init; } = 1;
    public int PageSize { get; init; } = 50;
    /// <summary>A column key; null for the table's default order.</summary>
    public string? Sort { get; init; }
    public SortDirection Direction { get; init; }
    public string? Search { get; init; }
    public IReadOnlyDictionary<string, string?> Filters { get; init; } = NoFilters;

    public Paging Paging => new(Page, PageSize);

    /// <summary>
    /// From query values: page and pageSize are checked like <see cref="Paging.From"/>; sort may be "name" or "-name"
    /// (descending), and dir=asc|desc overrides the sign.
    /// </summary>
    public static TableRequest From(int? page, int? pageSize, string? sort = null, string? dir = null, string? q = null)
    {
        var paging = Paging.From(page, pageSize);
        new Validation().OneOf(dir?.ToLowerInvariant(), "dir", ["asc", "desc"], required: false).MaxLength(sort, "sort", 100).MaxLength(q, "q", 200).ThrowIfInvalid();
        var descending = sort?.StartsWith('-') == true;
        if (dir is not null) descending = dir.Equals("desc", StringComparison.OrdinalIgnoreCase);
        return new TableRequest
        {
            Page = paging.Page,
            PageSize = paging.PageSize,
            Sort = string.IsNullOrWhiteSpace(sort) ? null : sort.TrimStart('-'),
            Direction = descending ? SortDirection.Descending : SortDirection.Ascending,
            Search = string.IsNullOrWhiteSpace(q) ? null : q.Trim(),
        };
    }

    /// <summary>Every query value that is not paging, sort or search becomes a named filter.</summary>
    public static TableRequest FromQuery(IQueryCollection query)
    {
        int? Int(string key) => query.TryGetValue(key, out var v) && v.Count > 0
            ? int.TryParse(v[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new ValidationException(key, "must be a whole number.")
            : null;
        var request = From(Int("page"), Int("pageSize"), query["sort"].FirstOrDefault(), query["dir"].FirstOrDefault(), query["q"].FirstOrDefault());
        var filters = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in query)
            if (!ReservedKeys.Contains(key)) filters[key] = value.FirstOrDefault();
        return request with { Filters = filters };
    }

    /// <summary>A copy with one more filter; null values are left out, so optional API parameters pass straight through.</summary>
    public TableRequest With(string key, object? value)
    {
        if (value is null) return this;
        var filters = new Dictionary<string, string?>(Filters, StringComparer.OrdinalIgnoreCase)
        {
            [key] = value switch
            {
                DateTimeOffset at => at.ToString("O", CultureInfo.InvariantCulture),
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            },
        };
        return this with { Filters = filters };
    }

    private string? Raw(string key) => Filters.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    public string? Text(string key, int maxLength = 200)
    {
        var value = Raw(key);
        return value is not null && value.Length > maxLength ? throw new ValidationException(key, $"must be at most {maxLength} characters.") : value;
    }

    public string? OneOf(string key, IReadOnlyCollection<string> allowed)
    {
        var value = Raw(key);
        new Validation().OneOf(value, key, allowed, required: false).ThrowIfInvalid();
        return value;
    }

    public Guid? Guid(string key) => Raw(key) is { } v
        ? System.Guid.TryParse(v, out var id) ? id : throw new ValidationException(key, "must be a UUID.")
        : null;

    public Guid RequiredGuid(string key) => Guid(key) ?? throw new ValidationException(key, "is required.");

    public bool? Bool(string key) => Raw(key) is { } v
        ? bool.TryParse(v, out var b) ? b : throw new ValidationException(key, "must be true or false.")
        : null;

    public DateTimeOffset? Instant(string key) => Raw(key) is { } v
        ? DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.ToUniversalTime()
            : throw new ValidationException(key, "must be an ISO 8601 date and time.")
        : null;
}
