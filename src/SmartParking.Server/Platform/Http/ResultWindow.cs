using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Platform.Http;

/// <summary>How much of an answer there is beyond this one: all that matched, and the address of the next window (null on the last).</summary>
public sealed record PageInfo(int Offset, int Limit, int Total, bool Capped, string? Next);

/// <summary>
/// The part (<c>offset</c>, <c>limit</c>) of a list worked out in memory that one answer holds. The answer says how many
/// matched in <c>X-Total-Count</c> and, when it holds only part of them, links the next part (RFC 8288 <c>Link: &lt;…&gt;; rel="next"</c>):
/// headers, so answers that are JSON arrays keep their shape.
/// </summary>
public readonly record struct ResultWindow(int Offset, int Limit)
{
    public const string TotalHeader = "X-Total-Count";

    /// <summary>Checks limit and offset along with the endpoint's other <paramref name="checks"/>, so one answer names every bad field.</summary>
    public static ResultWindow From(int? limit, int? offset, int defaultLimit, int maxLimit, Validation? checks = null)
    {
        (checks ?? new Validation())
            .Check(limit is null || (limit >= 1 && limit <= maxLimit), "limit", $"must be between 1 and {maxLimit}.")
            .Check(offset is null or >= 0, "offset", "must be 0 or more.")
            .ThrowIfInvalid();
        return new ResultWindow(offset ?? 0, limit ?? defaultLimit);
    }

    /// <summary>Writes the headers for an answer of <paramref name="returned"/> items out of <paramref name="total"/>; returns the next window's address.</summary>
    public string? Announce(HttpContext http, int total, int returned)
    {
        http.Response.Headers[TotalHeader] = total.ToString(CultureInfo.InvariantCulture);
        if (Offset + returned >= total) return null;
        var next = NextUrl(http.Request, Offset + returned);
        http.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        return next;
    }

    /// <summary>As <see cref="Announce"/>, and the same facts for an answer's <c>page</c> field.</summary>
    public PageInfo Describe(HttpContext http, int total, int returned)
    {
        var next = Announce(http, total, returned);
        return new PageInfo(Offset, Limit, total, next is not null, next);
    }

    /// <summary>The request's own path and query with the window moved on, so filters carry over.</summary>
    private string NextUrl(HttpRequest request, int offset)
    {
        var query = request.Query
            .Where(q => !q.Key.Equals("limit", StringComparison.OrdinalIgnoreCase) && !q.Key.Equals("offset", StringComparison.OrdinalIgnoreCase))
            .SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v)))
            .Append(KeyValuePair.Create("limit", (string?)Limit.ToString(CultureInfo.InvariantCulture)))
            .Append(KeyValuePair.Create("offset", (string?)offset.ToString(CultureInfo.InvariantCulture)));
        return QueryHelpers.AddQueryString((request.PathBase + request.Path).ToString(), query);
    }
}
