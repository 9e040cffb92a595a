using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Platform.Http;

/// <summary>
/// <c>Idempotency-Key</c> on POSTs that create bookings, sessions, charges or refunds: the first response is stored
/// with the key (per user) and a retry of the same request gets it back instead of a second booking or charge.
/// A key reused for a different request is refused; a retry while the first is still running gets 409 with
/// Retry-After, for at most <see cref="HttpOptions.IdempotencyLease"/>: a claim that old without an answer was left by
/// a process that died mid-request, and the retry runs the request again.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public static readonly TimeSpan KeptFor = TimeSpan.FromHours(24);
    private const int MaxKeyLength = 255;

    private sealed class Marker;

    public static RouteHandlerBuilder WithIdempotencyKey(this RouteHandlerBuilder builder) => builder.WithMetadata(new Marker());

    /// <summary>After authentication: the key is scoped to the signed-in user.</summary>
    public static void UseIdempotency(this WebApplication app) => app.Use(async (http, next) =>
    {
        var key = http.Request.Headers[Header].ToString();
        if (key.Length == 0 || !HttpMethods.IsPost(http.Request.Method) || http.GetEndpoint()?.Metadata.GetMetadata<Marker>() is null
            || http.User.Identity?.IsAuthenticated != true)
        {
            await next(http);
            return;
        }
        if (key.Length > MaxKeyLength || key.Any(char.IsControl))
            throw new ValidationException(Header, $"must be at most {MaxKeyLength} printable characters.");
        // Keyed by the caller: the standard subject claim of the access token (Platform reads the claim, not Identity's types).
        if (!Guid.TryParse(http.User.FindFirst("sub")?.Value, out var userId)) throw new UnauthorizedException("No user in the access token.");
        await RunOnceAsync(http, next, userId, key);
    });

    private static async Task RunOnceAsync(HttpContext http, RequestDelegate next, Guid userId, string key)
    {
        var db = http.RequestServices.GetRequiredService<NpgsqlDataSource>();
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var lease = http.RequestServices.GetRequiredService<IOptions<HttpOptions>>().Value.IdempotencyLease;
        var hash = await HashAsync(http.Request);
        DateTime claimedAt;
        await using (var connection = await db.OpenConnectionAsync(http.RequestAborted))
        {
            // A key is free when new, when its answer has expired, or when its claim was never answered within the
            // lease: the process that claimed it died mid-request (an exception or a 5xx forgets the claim at once).
            // A retry then runs the same request again; a different request is still refused by the hash check below.
            var claim = await connection.QuerySingleOrDefaultAsync<DateTime?>(new CommandDefinition("""
                insert into idempotent_requests (user_id, key, request_hash, created_at) values (@userId, @key, @hash, @now)
                on conflict (user_id, key) do update set request_hash = excluded.request_hash, created_at = excluded.created_at, status_code = null, content_type = null, location = null, body = null
                    where idempotent_requests.created_at < @expired
                       or (idempotent_requests.status_code is null and idempotent_requests.created_at <= @leaseEnded and idempotent_requests.request_hash = excluded.request_hash)
                returning created_at
                """, new { userId, key, hash, now, expired = now - KeptFor, leaseEnded = now - lease }, cancellationToken: http.RequestAborted));
            if (claim is not { } claimed)
            {
                var first = await connection.QuerySingleAsync<StoredResponse>(new CommandDefinition(
                    "select request_hash, status_code, content_type, location, body from idempotent_requests where user_id = @userId and key = @key",
                    new { userId, key }, cancellationToken: http.RequestAborted));
                await ReplayAsync(http, first, hash);
                return;
            }
            claimedAt = claimed;
        }

        // The response goes to a buffer first so it can be stored before the client sees it.
        var client = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await next(http);
        }
        catch
        {
            // Nothing was decided for this key: a retry runs the request again.
            await ForgetAsync(db, userId, key, claimedAt);
            throw;
        }
        finally
        {
            http.Response.Body = client;
        }
        if (http.Response.StatusCode >= 500) await ForgetAsync(db, userId, key, claimedAt);
        else
        {
            // Only into this request's own claim: if it outlived its lease and a retry claimed the key again, the
            // retry's answer is the one kept.
            await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
            await connection.ExecuteAsync(new CommandDefinition("""
                update idempotent_requests set status_code = @status, content_type = @contentType, location = @location, body = @body
                where user_id = @userId and key = @key and created_at = @claimedAt and status_code is null
                """, new
            {
                userId, key, claimedAt, status = http.Response.StatusCode, contentType = http.Response.ContentType,
                location = http.Response.Headers.Location.ToString() is { Length: > 0 } l ? l : null, body = buffer.ToArray(),
            }));
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(client, http.RequestAborted);
    }

    private static async Task ReplayAsync(HttpContext http, StoredResponse first, byte[] hash)
    {
        if (!CryptographicOperations.FixedTimeEquals(first.RequestHash, hash))
            throw new ValidationException(Header, "was already used for a different request; use a new key for a new request.");
        if (first.StatusCode is not { } status)
            throw new ConflictException("A request with this Idempotency-Key is still being processed; retry shortly.", retryAfter: TimeSpan.FromSeconds(1));
        http.Response.StatusCode = status;
        if (first.ContentType is not null) http.Response.ContentType = first.ContentType;
        if (first.Location is not null) http.Response.Headers.Location = first.Location;
        http.Response.Headers[ReplayedHeader] = "true";
        if (first.Body is { Length: > 0 } body) await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }

    private static async Task ForgetAsync(NpgsqlDataSource db, Guid userId, string key, DateTime claimedAt)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(
            "delete from idempotent_requests where user_id = @userId and key = @key and created_at = @claimedAt and status_code is null", new { userId, key, claimedAt }));
    }

    /// <summary>Method, path, query and body: the same key with anything else is a different request.</summary>
    private static async Task<byte[]> HashAsync(HttpRequest request)
    {
        request.EnableBuffering();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0) sha.AppendData(chunk, 0, read);
        request.Body.Position = 0;
        return sha.GetHashAndReset();
    }

    private sealed class StoredResponse
    {
        public byte[] RequestHash { get; init; } = [];
        public int? StatusCode { get; init; }
        public string? ContentType { get; init; }
        public string? Location { get; init; }
        public byte[]? Body { get; init; }
    }

    /// <summary>
    /// Keys are only promised for <see cref="KeptFor"/>: forgets up to <paramref name="limit"/> stored before
    /// <paramref name="before"/> (the retention job calls this in batches); how many it forgot.
    /// </summary>
    public static async Task<int> PurgeAsync(NpgsqlConnection connection, DateTimeOffset before, int limit, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition("""
            delete from idempotent_requests where ctid = any(array(select ctid from idempotent_requests where created_at < @before limit @limit))
            """, new { before, limit }, cancellationToken: ct));
}
