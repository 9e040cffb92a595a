using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>
/// <c>/api/v1/manage/alert-settings</c>: a tenant's thresholds and escalation chain. An operator always reads and
/// writes their own tenant's; an administrator names the tenant with tenantId, and without it sets the platform's
/// (whose chain receives the platform alerts: payment circuits, the ingest backlog).
/// </summary>
public sealed class AlertSettingsStore(NpgsqlDataSource db, LotCatalog lots, AuditLog audit, IOptions<AlertOptions> options, TimeProvider time)
{
    public static readonly string[] Channels = ["email", "sms", "slack", "webhook"];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<AlertSettings> GetAsync(ClaimsPrincipal principal, Guid? tenantId, CancellationToken ct)
    {
        var tenant = await ScopeAsync(principal, tenantId, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await ReadAsync(connection, tenant, ct)).Effective() with { TenantId = tenant };
    }

    public async Task<AlertSettings> PutAsync(ClaimsPrincipal principal, AlertSettings settings, CancellationToken ct)
    {
        var clean = Validate(settings);
        var stored = clean with { TenantId = null };
        var tenant = await ScopeAsync(principal, settings.TenantId, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into alert_settings (tenant_id, settings, updated_at) values (@tenant, @settings::jsonb, @now)
            on conflict (tenant_id) do update set settings = excluded.settings, updated_at = excluded.updated_at
            """, new { tenant, settings = JsonSerializer.Serialize(stored, Json), now = time.GetUtcNow() }, tx, cancellationToken: ct));
        // The platform's settings (no tenant) are the entity "platform".
        await audit.RecordAsync(connection, tx, principal, tenant, "alert_settings.updated", "alert_settings", tenant?.ToString() ?? "platform", stored, ct);
        await tx.CommitAsync(ct);
        return clean.Effective() with { TenantId = tenant };
    }

    /// <summary>Every tenant's stored settings with defaults filled in (null key: the platform's), for the rules job.</summary>
    public async Task<Dictionary<Guid, AlertSettings>> AllAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(Guid? TenantId, string Settings)>(new CommandDefinition(
            "select tenant_id, settings::text from alert_settings", transaction: tx, cancellationToken: ct));
        return rows.ToDictionary(r => r.TenantId ?? Guid.Empty, r => Read(r.Settings));
    }

    /// <summary>The settings that apply to a tenant (Guid.Empty: the platform) when it stored none.</summary>
    public static AlertSettings For(IReadOnlyDictionary<Guid, AlertSettings> all, Guid? tenant) =>
        all.TryGetValue(tenant ?? Guid.Empty, out var found) ? found : new AlertSettings().Effective();

    private static async Task<AlertSettings> ReadAsync(NpgsqlConnection connection, Guid? tenant, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select settings::text from alert_settings where tenant_id is not distinct from @tenant", new { tenant }, cancellationToken: ct)) is { } text
            ? Read(text)
            : new AlertSettings().Effective();

    private static AlertSettings Read(string text) => (JsonSerializer.Deserialize<AlertSettings>(text, Json) ?? new AlertSettings()).Effective();

    /// <summary>An operator's own tenant; an admin's named one (which must exist), or null for the platform's.</summary>
    private async Task<Guid?> ScopeAsync(ClaimsPrincipal principal, Guid? requested, CancellationToken ct)
    {
        var tenant = principal.TenantScope(requested);
        if (tenant is { } id && principal.IsAdmin() && await lots.TenantNameAsync(id, ct) is null) throw new NotFoundException("Tenant");
        return tenant;
    }

    /// <summary>Every field at fault at once, contacts named by position (contacts[1].address); addresses come back normalised.</summary>
    private AlertSettings Validate(AlertSettings s)
    {
        var v = new Validation()
            .Check(s.SensorsOfflineThreshold is null or (>= 1 and <= 100_000), "sensorsOfflineThreshold", "must be between 1 and 100000.")
            .Check(s.RevenueDropPercent is null or (>= 1 and <= 100), "revenueDropPercent", "must be between 1 and 100.")
            .Check(s.LotFullPercent is null or (>= 1 and <= 100), "lotFullPercent", "must be between 1 and 100.")
            .Check(s.LotFullMinutes is null or (>= 0 and <= 1440), "lotFullMinutes", "must be between 0 and 1440.")
            .Check(s.EscalateAfterMinutes is null or (>= 1 and <= 1440), "escalateAfterMinutes", "must be between 1 and 1440.")
            .Check((s.Contacts?.Count ?? 0) <= AlertSettings.MaxContacts, "contacts", $"may name at most {AlertSettings.MaxContacts} contacts.");
        var contacts = new List<AlertContact>();
        for (var i = 0; i < (s.Contacts?.Count ?? 0); i++)
        {
            var contact = s.Contacts![i];
            var field = $"contacts[{i}]";
            if (contact is null) { v.Add(field, "must be an object {channel, address}."); continue; }
            if (!Channels.Contains(contact.Channel)) { v.Add($"{field}.channel", $"must be one of: {string.Join(", ", Channels)}."); continue; }
            try
            {
                var insecure = options.Value.AllowInsecureWebhooks;
                var address = contact.Channel switch
                {
                    "email" => ContactAddresses.Email(contact.Address, $"{field}.address"),
                    "sms" => ContactAddresses.Phone(contact.Address, $"{field}.address"),
                    _ => ContactAddresses.WebhookUrl(contact.Address, $"{field}.address", insecure, insecure).ToString(),
                };
                contacts.Add(new AlertContact(contact.Channel, address));
            }
            catch (ValidationException e)
            {
                foreach (var (key, messages) in e.Errors)
                    foreach (var message in messages) v.Add(key, message);
            }
        }
        v.ThrowIfInvalid();
        return s with { Contacts = contacts };
    }
}
