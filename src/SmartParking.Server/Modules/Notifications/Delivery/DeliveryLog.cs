using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Notifications;

public static class MessageStatus
{
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Suppressed = "suppressed";
    public static readonly string[] All = [Queued, Sent, Delivered, Failed, Suppressed];
}

/// <summary>One message of the delivery log as the dashboard and the driver see it (bodies and signing secrets stay out).</summary>
public class NotificationMessage
{
    public Guid Id { get; init; }
    public Guid? TenantId { get; init; }
    public Guid? DriverId { get; init; }
    public string Channel { get; init; } = "";
    /// <summary>Opened from its sealed column when read (see <see cref="NotificationMessageRow"/>).</summary>
    public string Address { get; internal set; } = "";
    public string Kind { get; init; } = "";
    public string Language { get; init; } = "";
    public bool Urgent { get; init; }
    public bool Marketing { get; init; }
    public string Subject { get; init; } = "";
    public string Status { get; init; } = "";
    public string? Reason { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset NextAttemptAt { get; init; }
    public string? ProviderMessageId { get; init; }
    public DateTimeOffset QueuedAt { get; init; }
    public DateTimeOffset? SentAt { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
    public DateTimeOffset? FailedAt { get; init; }
}

/// <summary>A message as stored: the address sealed (or, written before encryption and not swept yet, still clear).</summary>
public sealed class NotificationMessageRow : NotificationMessage
{
    public byte[]? AddressEncrypted { get; init; }

    /// <summary>The message with its address opened; only the base type's fields are ever written out.</summary>
    public NotificationMessage Opened(FieldProtector protector)
    {
        Address = protector.Reveal(AddressEncrypted, Address, NotificationFields.Address) ?? "";
        return this;
    }
}

/// <summary>
/// The delivery log for the dashboard: an operator's own tenant, an admin's all (or one, with tenantId). Filters:
/// status, channel, kind, driverId.
/// </summary>
public sealed class NotificationsTable(NpgsqlDataSource db, FieldProtector protector) : DataTable<NotificationMessageRow, NotificationMessage>(db)
{
    public const string SelectList = """
        n.id, n.tenant_id, n.driver_id, n.channel, n.address, n.address_encrypted, n.kind, n.language, n.urgent, n.marketing, n.subject, n.status, n.reason, n.attempts,
        n.next_attempt_at, n.provider_message_id, n.queued_at, n.sent_at, n.delivered_at, n.failed_at
        """;

    private static readonly string[] Channels = Enum.GetNames<ChannelKind>().Select(n => n.ToLowerInvariant()).ToArray();

    public static readonly TableDefinition<NotificationMessage> Table = new("notifications", "Notifications",
    [
        new("queuedAt", "Queued", m => m.QueuedAt, ColumnKind.Instant, "n.queued_at"),
        new("kind", "Kind", m => m.Kind, SortSql: "n.kind"),
        new("channel", "Channel", m => m.Channel, SortSql: "n.channel"),
        new("address", "To", m => m.Address), // sealed: not sortable
        new("status", "Status", m => m.Status, SortSql: "n.status"),
        new("reason", "Reason", m => m.Reason),
        new("attempts", "Attempts", m => m.Attempts, ColumnKind.Number, "n.attempts"),
        new("sentAt", "Sent", m => m.SentAt, ColumnKind.Instant, "n.sent_at"),
        new("deliveredAt", "Delivered", m => m.DeliveredAt, ColumnKind.Instant, "n.delivered_at"),
        new("failedAt", "Failed", m => m.FailedAt, ColumnKind.Instant, "n.failed_at"),
        new("subject", "Subject", m => m.Subject),
        new("id", "Id", m => m.Id),
    ], "queuedAt", SortDirection.Descending, "n.id") { PersonalData = true };

    public override TableDefinition<NotificationMessage> Definition => Table;

    protected override Task<IReadOnlyList<NotificationMessage>> MapAsync(IReadOnlyList<NotificationMessageRow> rows, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<NotificationMessage>>([.. rows.Select(r => r.Opened(protector))]);

    protected override Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var args = new
        {
            tenant = user.TenantScope(request.Guid("tenantId")), status = request.OneOf("status", MessageStatus.All), channel = request.OneOf("channel", Channels),
            kind = request.OneOf("kind", NotificationKinds.All), driverId = request.Guid("driverId"),
        };
        return Task.FromResult(new TableSql($"select {SelectList}", "from notification_messages n", """
            where (@tenant::uuid is null or n.tenant_id = @tenant) and (@status::text is null or n.status = @status)
              and (@channel::text is null or n.channel = @channel) and (@kind::text is null or n.kind = @kind) and (@driverId::uuid is null or n.driver_id = @driverId)
            """, args));
    }
}

/// <summary>A driver's own messages, newest first.</summary>
public sealed class DriverMessages(NpgsqlDataSource db, FieldProtector protector)
{
    public async Task<Page<NotificationMessage>> ListAsync(Guid driverId, Paging paging, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from notification_messages where driver_id = @driverId", new { driverId }, cancellationToken: ct));
        var items = (await connection.QueryAsync<NotificationMessageRow>(new CommandDefinition($"""
            select {NotificationsTable.SelectList} from notification_messages n where n.driver_id = @driverId
            order by n.queued_at desc, n.id desc limit @limit offset @offset
            """, new { driverId, limit = paging.PageSize, offset = paging.Offset }, cancellationToken: ct))).Select(r => r.Opened(protector)).ToList();
        return new Page<NotificationMessage>(items, paging.Page, paging.PageSize, total);
    }
}
