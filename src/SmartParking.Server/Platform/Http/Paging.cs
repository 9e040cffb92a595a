using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Platform.Http;

public sealed record Page<T>(IReadOnlyList<T> Items, [property: System.Text.Json.Serialization.JsonPropertyName("page")] int PageNumber, int PageSize, long Total);

/// <summary>page is 1-based; pageSize is capped so one request cannot pull a whole table.</summary>
public readonly record struct Paging(int Page, int PageSize)
{
    public const int MaxPageSize = 500;

    // long: page × pageSize overflows int for large pages, and a negative OFFSET is a database error.
    public long Offset => (long)(Page - 1) * PageSize;

    public static Paging From(int? page, int? pageSize)
    {
        var v = new Validation()
            .Check(page is null or >= 1, "page", "must be 1 or more.")
            .Check(pageSize is null or (>= 1 and <= MaxPageSize), "pageSize", $"must be between 1 and {MaxPageSize}.");
        v.ThrowIfInvalid();
        return new Paging(page ?? 1, pageSize ?? 50);
    }
}
