using System.ComponentModel;
using System.Security.Claims;
using System.Threading.Channels;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Tables;

// The operator alerts' public face, in the module's root namespace so other modules (Analytics, Admin) use only this.
namespace SmartParking.Server.Modules.Notifications;

/// <summary>Operator alerts as other modules and the dashboard use them.</summary>
public interface IOperatorAlerts
{
    /// <summary>
    /// The alerts the caller may see (an operator: their tenant's; an admin: all, or tenantId's). Filters: status (open,
    /// acknowledged, resolved, or unresolved), kind, lotId, id, tenantId, q.
    /// </summary>
    DataTable<AlertView, AlertView> Table { get; }

    /// <summary>Open → acknowledged, by the caller now; 404 for an alert the caller may not see, 409 when it is not open.</summary>
    Task<AlertView> AcknowledgeAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct);

    /// <summary>Open or acknowledged → resolved, by the caller now, with an optional note; 409 when already resolved.</summary>
    Task<AlertView> ResolveAsync(ClaimsPrincipal principal, Guid id, AlertResolution? resolution, CancellationToken ct);

    /// <summary>Opens an alert for the lot's operators about a problem a driver reported; answers its id.</summary>
    Task<Guid> ReportAsync(Guid tenantId, Guid lotId, string title, string detail, CancellationToken ct);

    /// <summary>The tenant (null: the platform) of each alert change on any node, from now until <paramref name="ct"/> ends.</summary>
    ChannelReader<Guid?> Subscribe(CancellationToken ct);

    /// <summary>Per kind, how many of the tenant's alerts were raised and how many resolved in [from, to) (reports).</summary>
    Task<IReadOnlyList<AlertActivity>> ActivityAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct);
}

/// <summary>One kind of alert over a window: how many were raised and how many resolved in it.</summary>
public sealed record AlertActivity(string Kind, int Raised, int Resolved);

public static class AlertKinds
{
    public const string SensorsOffline = "sensors_offline";
    public const string RevenueDrop = "revenue_drop";
    public const string LotFull = "lot_full";
    public const string LowBattery = "low_battery";
    public const string PaymentCircuitOpen = "payment_circuit_open";
    public const string IngestBacklog = "ingest_backlog";
    /// <summary>A problem a driver reported (through the chat assistant); only an operator resolves it.</summary>
    public const string DriverReport = "driver_report";

    public static readonly string[] All = [SensorsOffline, RevenueDrop, LotFull, LowBattery, PaymentCircuitOpen, IngestBacklog, DriverReport];

    /// <summary>Conditions of the whole platform (per node, not per tenant): their alerts belong to administrators.</summary>
    public static readonly string[] Platform = [PaymentCircuitOpen, IngestBacklog];
}

public static class AlertStatuses
{
    public const string Open = "open";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";

    public static readonly string[] All = [Open, Acknowledged, Resolved];

    /// <summary>The list filter for open and acknowledged alerts together.</summary>
    public const string Unresolved = "unresolved";

    /// <summary>Who resolved an alert whose condition cleared by itself.</summary>
    public const string System = "system";
}

/// <summary>An alert as operators see it. TenantId is null for a platform alert (administrators only).</summary>
public sealed class AlertView
{
    public Guid Id { get; init; }
    public Guid? TenantId { get; init; }
    public Guid? LotId { get; init; }
    public string Kind { get; init; } = "";
    public string Severity { get; init; } = "";
    public string Title { get; init; } = "";
    public string Detail { get; init; } = "";
    public string Status { get; init; } = "";
    public DateTimeOffset OpenedAt { get; init; }
    public DateTimeOffset? AcknowledgedAt { get; init; }
    public string? AcknowledgedBy { get; init; }
    public string? AcknowledgedByName { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    /// <summary>A user id, or "system" when the condition cleared by itself.</summary>
    public string? ResolvedBy { get; init; }
    public string? ResolvedByName { get; init; }
    public string? ResolutionNote { get; init; }
    /// <summary>How many contacts past the first it has gone to (0: only the first).</summary>
    public int EscalationLevel { get; init; }
    public DateTimeOffset? NextEscalationAt { get; init; }
}

/// <summary>One step of an escalation chain.</summary>
public sealed record AlertContact(
    [property: Description("email, sms, slack or webhook")] string? Channel,
    [property: Description("An e-mail address, an E.164 phone number, or an https URL (Slack incoming webhook, webhook).")] string? Address);

/// <summary>
/// A tenant's alert thresholds and escalation chain (an administrator's request without tenantId: the platform's, for
/// platform alerts). Left out, a value takes its default.
/// </summary>
public sealed record AlertSettings(
    Guid? TenantId = null,
    [property: Description("Offline sensors in one lot that raise sensors_offline (default 5).")] int? SensorsOfflineThreshold = null,
    [property: Description("Percent below the same weekday's 4-week average at the same time of day that raises revenue_drop (default 20).")] int? RevenueDropPercent = null,
    [property: Description("Occupancy in percent at or above which a lot counts as full (default 95).")] int? LotFullPercent = null,
    [property: Description("Minutes a lot must stay full before lot_full is raised (default 30).")] int? LotFullMinutes = null,
    [property: Description("Minutes an open alert waits for acknowledgement before going to the next contact (default 15).")] int? EscalateAfterMinutes = null,
    [property: Description("The escalation chain, first contact first.")] IReadOnlyList<AlertContact>? Contacts = null)
{
    public const int DefaultSensorsOfflineThreshold = 5;
    public const int DefaultRevenueDropPercent = 20;
    public const int DefaultLotFullPercent = 95;
    public const int DefaultLotFullMinutes = 30;
    public const int DefaultEscalateAfterMinutes = 15;
    public const int MaxContacts = 10;

    /// <summary>The same settings with every default filled in.</summary>
    public AlertSettings Effective() => this with
    {
        SensorsOfflineThreshold = SensorsOfflineThreshold ?? DefaultSensorsOfflineThreshold,
        RevenueDropPercent = RevenueDropPercent ?? DefaultRevenueDropPercent,
        LotFullPercent = LotFullPercent ?? DefaultLotFullPercent,
        LotFullMinutes = LotFullMinutes ?? DefaultLotFullMinutes,
        EscalateAfterMinutes = EscalateAfterMinutes ?? DefaultEscalateAfterMinutes,
        Contacts = Contacts ?? [],
    };
}

/// <summary>The optional note of a resolution.</summary>
public sealed record AlertResolution([property: Description("Why or how it was resolved (at most 500 characters).")] string? Note = null);

/// <summary>What every alert event carries: enough for a webhook or a page to show it without reading the table.</summary>
public sealed record AlertFacts(Guid AlertId, Guid? TenantId, Guid? LotId, string Kind, string Severity, string Title, string Detail);

public abstract record AlertEvent(AlertFacts Alert) : IDomainEvent
{
    public string AggregateId => Alert.AlertId.ToString();
    public Guid? TenantId => Alert.TenantId;
}

public sealed record AlertRaised(AlertFacts Alert, DateTimeOffset OpenedAt) : AlertEvent(Alert);

public sealed record AlertAcknowledged(AlertFacts Alert, string By, DateTimeOffset At) : AlertEvent(Alert);

/// <summary>By is a user id, or "system" when the condition cleared by itself.</summary>
public sealed record AlertResolved(AlertFacts Alert, string By, DateTimeOffset At, string? Note) : AlertEvent(Alert);

/// <summary>The alert went to contact number Level of the chain (0 is the first contact).</summary>
public sealed record AlertEscalated(AlertFacts Alert, int Level, string Channel, DateTimeOffset At) : AlertEvent(Alert);
