using SmartParking.Server.Platform.Protection;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Notifications;

/// <summary>
/// A driver's notification preferences (language, quiet hours, phone), the log of what was sent to them and their
/// browsers' push subscriptions; erasure deletes all of it (the log holds addresses and texts that name plates).
/// </summary>
internal sealed class NotificationsPersonalData(NpgsqlDataSource db, FieldProtector protector) : IPersonalDataHolder
{
    public string Area => "notifications";

    public async Task<IReadOnlyList<PersonalDataTable>> ExportAsync(DataSubject subject, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Preferences and devices belong to no tenant: an operator's request gets only the tenant's messages.
        return
        [
            (await PersonalDataTable.ReadAsync(connection, "preferences", """
                select language, channels::text as channels, quiet_start::text as quiet_start, quiet_end::text as quiet_end, time_zone, phone, phone_encrypted, updated_at
                from notification_preferences where driver_id = @UserId and @Tenant::uuid is null
                """, subject, ct)).Opened("phone", "phone_encrypted", b => protector.Open(b, PreferencesStore.PhoneField)),
            (await PersonalDataTable.ReadAsync(connection, "messages", """
                select id, tenant_id, channel, address, address_encrypted, kind, language, marketing, subject, body_text, body_text_encrypted, status, reason,
                       queued_at, sent_at, delivered_at, failed_at
                from notification_messages where driver_id = @UserId and (@Tenant::uuid is null or tenant_id = @Tenant) order by queued_at
                """, subject, ct))
                .Opened("address", "address_encrypted", b => protector.Open(b, NotificationFields.Address))
                .Opened("body_text", "body_text_encrypted", b => protector.Open(b, NotificationFields.BodyText)),
            await PersonalDataTable.ReadAsync(connection, "push_subscriptions", """
                select id, endpoint, created_at from push_subscriptions where driver_id = @UserId and @Tenant::uuid is null order by created_at
                """, subject, ct),
        ];
    }

    public Task EraseAsync(ErasureScope scope, CancellationToken ct) =>
        scope.Connection.ExecuteAsync(new CommandDefinition("""
            delete from notification_messages where driver_id = @UserId; -- their attachments go with them (on delete cascade)
            delete from notification_preferences where driver_id = @UserId;
            delete from push_subscriptions where driver_id = @UserId;
            """, new { scope.UserId }, scope.Transaction, cancellationToken: ct));
}
