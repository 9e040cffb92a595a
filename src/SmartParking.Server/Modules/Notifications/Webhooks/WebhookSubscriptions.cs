using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Notifications.Webhooks;

/// <summary>An endpoint of an operator's own system; eventTypes empty = every type a tenant can subscribe to. Admins name the tenant.</summary>
public sealed record WebhookRequest(string? Url, IReadOnlyList<string>? EventTypes, string? Description, Guid? TenantId);

public sealed class Webhook
{
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public string Url { get; init; } = "";
    public string[] EventTypes { get; init; } = [];
    public string? Description { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? SecretRotatedAt { get; init; }

    /// <summary>Set when the receiver answered 410 Gone: nothing is sent to it any more.</summary>
    public DateTimeOffset? DisabledAt { get; init; }
}

/// <summary>The signing secret is shown here only: at creation and at each rotation.</summary>
public sealed record WebhookWithSecret(Webhook Webhook, string SigningSecret);

/// <summary>Where a tenant's events go, and which of them (none listed = all).</summary>
internal sealed class WebhookTarget
{
    public string Url { get; init; } = "";
    public string SigningSecret { get; init; } = "";
    public string[] EventTypes { get; init; } = [];

    public bool Takes(string eventType) => EventTypes.Length == 0 || EventTypes.Contains(eventType, StringComparer.Ordinal);
}

/// <summary>
/// Operators' webhook endpoints: registration, secrets, and the endpoints an event of a tenant goes to. Every change is
/// audited in its own transaction (never the secret).
/// </summary>
public sealed class WebhookSubscriptions(NpgsqlDataSource db, AuditLog audit, IOptions<WebhookOptions> options, EventTypes eventTypes, TimeProvider time)
{
    private const string Columns = "id, tenant_id, url, event_types, description, created_at, secret_rotated_at, disabled_at";

    /// <summary>The domain events a tenant may subscribe to: those <see cref="WebhookForwarder"/> handles.</summary>
    public IReadOnlyList<string> SubscribableTypes { get; } = WebhookForwarder.HandledTypes.Select(eventTypes.NameOf).Order(StringComparer.Ordinal).ToList();

    public async Task<WebhookWithSecret> CreateAsync(ClaimsPrincipal principal, WebhookRequest request, CancellationToken ct)
    {
        var (url, types, description) = Validate(request);
        var tenantId = principal.TenantForWrite(request.TenantId);
        var secret = NewSecret();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        try
        {
            var webhook = await connection.QuerySingleAsync<Webhook>(new CommandDefinition($"""
                insert into webhook_endpoints (id, tenant_id, url, event_types, description, signing_secret, created_at)
                values (@id, @tenantId, @url, @types, @description, @secret, @now) returning {Columns}
                """, new { id = Guid.CreateVersion7(), tenantId, url, types, description, secret, now = time.GetUtcNow() }, tx, cancellationToken: ct));
            await audit.RecordAsync(connection, tx, principal, tenantId, "webhook.created", "webhook", webhook.Id,
                new { webhook.Url, webhook.EventTypes, webhook.Description }, ct);
            await tx.CommitAsync(ct);
            return new WebhookWithSecret(webhook, secret);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw new ValidationException("tenantId", "does not name an existing tenant.");
        }
    }

    public async Task<IReadOnlyList<Webhook>> ListAsync(ClaimsPrincipal principal, Guid? tenantId, CancellationToken ct)
    {
        var scope = principal.TenantScope(tenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Webhook>(new CommandDefinition(
            $"select {Columns} from webhook_endpoints where @scope::uuid is null or tenant_id = @scope order by created_at", new { scope }, cancellationToken: ct))).ToList();
    }

    public async Task<Webhook> GetAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct)
    {
        var scope = principal.TenantScope();
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Webhook>(new CommandDefinition(
                   $"select {Columns} from webhook_endpoints where id = @id and (@scope::uuid is null or tenant_id = @scope)", new { id, scope }, cancellationToken: ct))
               ?? throw new NotFoundException("Webhook");
    }

    public async Task DeleteAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct)
    {
        var scope = principal.TenantScope();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var deleted = await connection.QuerySingleOrDefaultAsync<Webhook>(new CommandDefinition(
                          $"delete from webhook_endpoints where id = @id and (@scope::uuid is null or tenant_id = @scope) returning {Columns}", new { id, scope }, tx,
                          cancellationToken: ct))
                      ?? throw new NotFoundException("Webhook");
        await audit.RecordAsync(connection, tx, principal, deleted.TenantId, "webhook.deleted", "webhook", id, new { deleted.Url }, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// A new secret at once: messages queued before sign with the secret they were queued with, so a receiver accepts
    /// both for as long as its retries last.
    /// </summary>
    public async Task<WebhookWithSecret> RotateSecretAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct)
    {
        var scope = principal.TenantScope();
        var secret = NewSecret();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var webhook = await connection.QuerySingleOrDefaultAsync<Webhook>(new CommandDefinition($"""
            update webhook_endpoints set signing_secret = @secret, secret_rotated_at = @now
            where id = @id and (@scope::uuid is null or tenant_id = @scope) returning {Columns}
            """, new { id, scope, secret, now = time.GetUtcNow() }, tx, cancellationToken: ct)) ?? throw new NotFoundException("Webhook");
        await audit.RecordAsync(connection, tx, principal, webhook.TenantId, "webhook.secret_rotated", "webhook", id, null, ct);
        await tx.CommitAsync(ct);
        return new WebhookWithSecret(webhook, secret);
    }

    /// <summary>The tenant's enabled endpoints, with the event types each takes (empty = every type).</summary>
    internal async Task<IReadOnlyList<WebhookTarget>> TargetsAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<WebhookTarget>(new CommandDefinition(
            "select url, signing_secret, event_types from webhook_endpoints where tenant_id = @tenantId and disabled_at is null order by created_at",
            new { tenantId }, cancellationToken: ct))).ToList();
    }

    /// <summary>The receiver answered 410 Gone: the endpoint with this URL and secret gets nothing more until its operator registers it again.</summary>
    internal async Task DisableAsync(string url, string signingSecret, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update webhook_endpoints set disabled_at = @now where url = @url and signing_secret = @signingSecret and disabled_at is null",
            new { url, signingSecret, now = time.GetUtcNow() }, cancellationToken: ct));
    }

    private (string Url, string[] Types, string? Description) Validate(WebhookRequest request)
    {
        var v = new Validation();
        string? url = null;
        try
        {
            var local = options.Value.AllowPrivateHosts;
            url = ContactAddresses.WebhookUrl(request.Url, "url", allowInsecure: local, allowPrivateHosts: local).AbsoluteUri;
        }
        catch (ValidationException e)
        {
            foreach (var (field, messages) in e.Errors)
                foreach (var message in messages) v.Add(field, message);
        }
        var types = (request.EventTypes ?? []).Select(t => t?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToArray();
        var unknown = types.Where(t => !SubscribableTypes.Contains(t)).ToList();
        if (unknown.Count > 0)
            v.Add("eventTypes", $"has types a webhook cannot subscribe to ({string.Join(", ", unknown.Take(5))}); use any of: {string.Join(", ", SubscribableTypes)}, or none for all.");
        var description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim();
        v.MaxLength(description, "description", 500);
        if (StoredText.Problem(description) is { } problem) v.Add("description", problem);
        v.ThrowIfInvalid();
        return (url!, types, description);
    }

    private static string NewSecret() => "whsec_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
