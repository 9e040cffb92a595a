using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace SmartParking.Server.Platform.Errors;

/// <summary>The one place exceptions become RFC 9457 Problem Details; clients never see a stack trace.</summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        var problem = Map(exception, http);
        // An outage is expected weather, not a bug: one line without a stack trace.
        if (problem.Status == 503) logger.LogWarning("{Method} {Path} answered 503: {Error}", http.Request.Method, http.Request.Path, exception.Message);
        else if (problem.Status >= 500) logger.LogError(exception, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
        http.Response.StatusCode = problem.Status ?? 500;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    // RFC 9457's own members: an extension of the same name would be written as a second key (or clash with it), and a
    // client cannot tell which is meant. Case-insensitive, as JSON readers often bind names that way.
    private static readonly HashSet<string> ReservedMembers = new(StringComparer.OrdinalIgnoreCase) { "type", "title", "status", "detail", "instance" };

    private static ProblemDetails Map(Exception exception, HttpContext http)
    {
        switch (exception)
        {
            case ValidationException v:
                return new HttpValidationProblemDetails(v.Errors) { Status = 400, Title = "One or more fields are invalid." };
            case NotFoundException n:
                return new ProblemDetails { Status = 404, Title = "Not found", Detail = n.Message };
            case ConflictException c:
                if (c.RetryAfter is { } wait) SetRetryAfter(http, wait);
                var conflict = new ProblemDetails { Status = 409, Title = "Conflict", Detail = c.Message };
                foreach (var (key, value) in c.Extensions)
                    if (!ReservedMembers.Contains(key)) conflict.Extensions[key] = value;
                return conflict;
            case PaymentFailedException p:
                var payment = new ProblemDetails { Status = 402, Title = "Payment failed", Detail = p.Message };
                if (p.Code is not null) payment.Extensions["code"] = p.Code;
                return payment;
            case ForbiddenException f:
                return new ProblemDetails { Status = 403, Title = "Forbidden", Detail = f.Message };
            case UnauthorizedException u:
                return new ProblemDetails { Status = 401, Title = "Unauthorized", Detail = u.Message, Type = u.Type };
            case TooManyRequestsException t:
                SetRetryAfter(http, t.RetryAfter);
                return new ProblemDetails { Status = 429, Title = "Too many requests", Detail = t.Message };
            case ServiceUnavailableException u:
                SetRetryAfter(http, u.RetryAfter);
                return new ProblemDetails { Status = 503, Title = "Service unavailable", Detail = u.Message };
            case BadHttpRequestException bad:
                return FromBadRequest(bad);
            case PostgresException { SqlState: PostgresErrorCodes.UniqueViolation }:
                return new ProblemDetails { Status = 409, Title = "Conflict", Detail = "An item with the same key already exists." };
            case PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation }:
                return new ProblemDetails { Status = 409, Title = "Conflict", Detail = "The item is referenced by, or refers to, another item that does not allow this change." };
            // Data the database refuses (a NUL in text, a number or date out of its range) that no check caught earlier.
            case PostgresException { SqlState: var state } when state.StartsWith("22", StringComparison.Ordinal):
                return new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["body"] = ["holds a value the database cannot store (such as a NUL character or a date out of range)."] })
                { Status = 400, Title = "One or more fields are invalid." };
            // Only a transient failure (connection lost, server restarting or overloaded) is an outage worth retrying;
            // any other database error (PostgresException is an NpgsqlException too) is a bug and falls through to 500.
            case NpgsqlException { IsTransient: true } or TimeoutException:
                http.Response.Headers.RetryAfter = "5";
                return new ProblemDetails { Status = 503, Title = "Service unavailable", Detail = "The database is not reachable right now; try again shortly." };
            default:
                return new ProblemDetails { Status = 500, Title = "Internal server error", Detail = "An unexpected error occurred." };
        }
    }

    /// <summary>Whole seconds, at least one: "Retry-After: 0" would invite a retry loop.</summary>
    private static void SetRetryAfter(HttpContext http, TimeSpan wait) =>
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static ProblemDetails FromBadRequest(BadHttpRequestException bad)
    {
        // Minimal APIs wrap JSON binding errors; the JSON path names the field at fault.
        if (bad.InnerException is JsonException json)
        {
            var field = string.IsNullOrEmpty(json.Path) ? "body" : json.Path.TrimStart('$', '.');
            return new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field.Length == 0 ? "body" : field] = ["has an invalid value or the JSON is malformed."] })
            { Status = 400, Title = "The request body could not be read." };
        }
        return bad.StatusCode == 400 && bad.Message.Contains("parameter", StringComparison.OrdinalIgnoreCase)
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [ParameterName(bad.Message)] = [bad.Message] }) { Status = 400, Title = "One or more fields are invalid." }
            : new ProblemDetails { Status = bad.StatusCode, Title = bad.StatusCode == 413 ? "Request too large" : "Bad request", Detail = bad.Message };
    }

    // e.g. `Failed to bind parameter "Guid id" from "abc".`
    private static string ParameterName(string message)
    {
        var start = message.IndexOf('"');
        var end = start < 0 ? -1 : message.IndexOf('"', start + 1);
        if (start < 0 || end < 0) return "query";
        var declaration = message[(start + 1)..end].Trim();
        var space = declaration.LastIndexOf(' ');
        return space < 0 ? declaration : declaration[(space + 1)..];
    }
}
