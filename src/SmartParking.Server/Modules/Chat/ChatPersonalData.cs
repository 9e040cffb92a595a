using SmartParking.Server.Modules.Chat.Handoff;
using SmartParking.Server.Modules.Chat.Conversations;
using SmartParking.Server.Platform.Protection;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Chat;

/// <summary>
/// A driver's chats: the Telegram and WhatsApp accounts linked to them, their conversations with the assistant (the web
/// one and those of linked accounts) and hand-overs to staff with what was said. Erasure deletes all of it.
/// </summary>
internal sealed class ChatPersonalData(NpgsqlDataSource db, FieldProtector protector) : IPersonalDataHolder
{
    // The driver's chat identities: the signed-in web user (their id) and every linked account.
    private const string Senders = """
        select 'web' as channel, @UserId::text as sender union all select channel, sender from chat_links where driver_id = @UserId
        """;

    public string Area => "chat";

    public async Task<IReadOnlyList<PersonalDataTable>> ExportAsync(DataSubject subject, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Hand-overs are the only chat rows of a tenant; the rest belongs to no tenant and is not in an operator's export.
        return
        [
            (await PersonalDataTable.ReadAsync(connection, "links", """
                select channel, sender, sender_encrypted, linked_at from chat_links where driver_id = @UserId and @Tenant::uuid is null order by linked_at
                """, subject, ct)).Opened("sender", "sender_encrypted", b => protector.Open(b, ChatAccountLinks.SenderField)),
            (await PersonalDataTable.ReadAsync(connection, "conversations", $"""
                select c.channel, c.language, c.turns::text as turns, c.turns_encrypted, c.last_active_at
                from chat_conversations c join ({Senders}) s on s.channel = c.channel and s.sender = c.sender
                where @Tenant::uuid is null order by c.last_active_at
                """, subject, ct)).Opened("turns", "turns_encrypted", b => SealedTurns.OpenText(protector, b)),
            (await PersonalDataTable.ReadAsync(connection, "handoff_messages", $"""
                select h.id as handoff_id, h.channel, h.tenant_id, h.status, h.requested_at, h.closed_at, m.at, m.author, m.text, m.text_encrypted
                from chat_handoffs h join chat_handoff_messages m on m.handoff_id = h.id
                where (h.driver_id = @UserId or (h.channel, h.sender) in (select channel, sender from ({Senders}) s))
                  and (@Tenant::uuid is null or h.tenant_id = @Tenant)
                order by h.requested_at, m.id
                """, subject, ct)).Opened("text", "text_encrypted", b => protector.Open(b, HandoffStore.TextField)),
        ];
    }

    public Task EraseAsync(ErasureScope scope, CancellationToken ct) =>
        scope.Connection.ExecuteAsync(new CommandDefinition($"""
            delete from chat_handoffs h where h.driver_id = @UserId or (h.channel, h.sender) in (select channel, sender from ({Senders}) s); -- messages cascade
            delete from chat_conversations c where (c.channel, c.sender) in (select channel, sender from ({Senders}) s);
            delete from chat_links where driver_id = @UserId;
            delete from chat_link_codes where driver_id = @UserId;
            """, new { scope.UserId }, scope.Transaction, cancellationToken: ct));
}
