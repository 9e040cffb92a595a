using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Chat.Conversations;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Chat.Handoff;

/// <summary>
/// Hand-overs in PostgreSQL. A chat user has at most one open hand-over (a unique index says so); while it is open their
/// messages are recorded for the operator instead of being answered. Every change records a <see cref="HandoffChanged"/>
/// in the same transaction, so every node's pages hear of it.
/// </summary>
public sealed class HandoffStore(NpgsqlDataSource db, EventOutbox outbox, HandoffFeed feed, TimeProvider time, FieldProtector protector)
{
    /// <summary>What was said in a hand-over is sealed at rest.</summary>
    internal static readonly FieldScope TextField = new("chat_handoff_messages", "text");

    /// <summary>The chat user's id on the channel, kept sealed so an operator's answer can be sent to them.</summary>
    internal static readonly FieldScope SenderField = new("chat_handoffs", "sender");

    private const string SummaryColumns = """
        h.id, h.channel, h.driver_id is not null as KnownDriver, h.tenant_id as TenantId, h.language, h.status,
        h.requested_at as RequestedAt, h.last_message_at as LastMessageAt, last.text as LastDriverMessage, last.text_encrypted as LastDriverMessageEncrypted
        """;

    private const string LastDriverMessage = """
        left join lateral (select m.text, m.text_encrypted from chat_handoff_messages m where m.handoff_id = h.id and m.author = 'driver' order by m.id desc limit 1) last on true
        """;

    private const string MessageColumns = "m.id, m.at, m.author, m.text, m.text_encrypted as TextEncrypted, m.delivery";

    private sealed record SummaryRow(Guid Id, string Channel, bool KnownDriver, Guid? TenantId, string Language, string Status, DateTimeOffset RequestedAt,
        DateTimeOffset LastMessageAt, string? LastDriverMessage, byte[]? LastDriverMessageEncrypted);

    private sealed record MessageRow(long Id, DateTimeOffset At, string Author, string? Text, byte[]? TextEncrypted, string? Delivery);

    private HandoffSummary Opened(SummaryRow r) => new(r.Id, r.Channel, r.KnownDriver, r.TenantId, r.Language, r.Status, r.RequestedAt, r.LastMessageAt,
        protector.Reveal(r.LastDriverMessageEncrypted, r.LastDriverMessage, TextField));

    private HandoffMessage Opened(MessageRow r) => new(r.Id, r.At, r.Author, protector.Reveal(r.TextEncrypted, r.Text, TextField) ?? "", r.Delivery);

    /// <summary>
    /// Opens a hand-over for the conversation with what was said so far (its last turns and the request itself), or
    /// returns the one already open.
    /// </summary>
    public async Task<Guid> OpenAsync(Conversation conversation, Guid? tenant, string request, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        var id = Guid.NewGuid();
        var opened = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition("""
            insert into chat_handoffs (id, channel, sender, sender_encrypted, reply_via, driver_id, tenant_id, language, status, requested_at, last_message_at)
            values (@id, @Channel, @Sender, @replyTo, @ReplyVia, @DriverId, @tenant, @Language, 'waiting', @now, @now)
            on conflict (channel, sender) where status <> 'closed' do nothing
            returning id
            """, new { id, conversation.Channel, conversation.Sender, replyTo = protector.SealOrNull(conversation.ReplyTo, SenderField), conversation.ReplyVia,
            conversation.DriverId, tenant, conversation.Language, now }, tx, cancellationToken: ct));
        if (opened is null)
        {
            await tx.RollbackAsync(ct);
            return await connection.ExecuteScalarAsync<Guid>(new CommandDefinition(
                "select id from chat_handoffs where channel = @Channel and sender = @Sender and status <> 'closed'", new { conversation.Channel, conversation.Sender }, cancellationToken: ct));
        }
        var history = conversation.Turns
            .SelectMany(t => t.Bot.Select(b => new HistoryLine(t.At, HandoffAuthors.Assistant, b)).Prepend(new HistoryLine(t.At, HandoffAuthors.Driver, t.User)))
            .Append(new HistoryLine(now, HandoffAuthors.Driver, request)).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into chat_handoff_messages (handoff_id, at, author, text_encrypted)
            select @id, at, author, text from unnest(@at::timestamptz[], @author::text[], @text::bytea[]) with ordinality as m(at, author, text, n) order by n
            """, new { id, at = history.Select(h => h.At).ToArray(), author = history.Select(h => h.Author).ToArray(), text = history.Select(h => protector.Seal(h.Text, TextField)).ToArray() },
            tx, cancellationToken: ct));
        await ChangedAsync(connection, tx, new HandoffChanged(id, tenant, HandoffStatuses.Waiting, HandoffChanged.KeyOf(conversation.Channel, conversation.Sender)), ct);
        return id;
    }

    /// <summary>Records the driver's message in their open hand-over; false when it has been closed meanwhile.</summary>
    public async Task<bool> AddDriverMessageAsync(Guid handoffId, string text, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        var open = await connection.QuerySingleOrDefaultAsync<HandoffRow>(new CommandDefinition("""
            update chat_handoffs set last_message_at = @now where id = @handoffId and status <> 'closed' returning tenant_id, status, channel, sender
            """, new { handoffId, now }, tx, cancellationToken: ct));
        if (open is null) return false;
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into chat_handoff_messages (handoff_id, at, author, text_encrypted) values (@handoffId, @now, 'driver', @text)",
            new { handoffId, now, text = protector.Seal(text, TextField) }, tx, cancellationToken: ct));
        await ChangedAsync(connection, tx, new HandoffChanged(handoffId, open.TenantId, open.Status, HandoffChanged.KeyOf(open.Channel, open.Sender)), ct);
        return true;
    }

    private sealed record AddressRow(Guid Id, string Channel, string Sender, byte[]? SenderEncrypted, string? ReplyVia, Guid? TenantId, string Language, string Status);

    private sealed record HistoryLine(DateTimeOffset At, string Author, string Text);

    private sealed record TimedOut(Guid Id, Guid? TenantId, string Channel, string Sender);

    private sealed record HandoffRow(Guid? TenantId, string Status, string Channel, string Sender);

    /// <summary>The driver went back to the assistant.</summary>
    public async Task CloseByDriverAsync(Guid handoffId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var closed = await connection.QuerySingleOrDefaultAsync<HandoffRow>(new CommandDefinition("""
            update chat_handoffs set status = 'closed', closed_at = @now, closed_by = 'driver' where id = @handoffId and status <> 'closed'
            returning tenant_id, status, channel, sender
            """, new { handoffId, now = time.GetUtcNow() }, tx, cancellationToken: ct));
        if (closed is null) return; // closed meanwhile
        await ChangedAsync(connection, tx, new HandoffChanged(handoffId, closed.TenantId, closed.Status, HandoffChanged.KeyOf(closed.Channel, closed.Sender)), ct);
    }

    public async Task<IReadOnlyList<HandoffSummary>> QueueAsync(Guid? scope, bool includeClosed, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<SummaryRow>(new CommandDefinition($"""
            select {SummaryColumns} from chat_handoffs h {LastDriverMessage}
            where (@scope::uuid is null or h.tenant_id = @scope) and (@includeClosed or h.status <> 'closed')
            order by h.status = 'closed', h.status = 'answered', h.requested_at
            limit @limit
            """, new { scope, includeClosed, limit }, cancellationToken: ct))).Select(Opened).ToList();
    }

    /// <summary>The hand-over if it is in the scope's queue (every queue for null).</summary>
    public async Task<HandoffThread?> ThreadAsync(Guid id, Guid? scope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var summary = await connection.QuerySingleOrDefaultAsync<SummaryRow>(new CommandDefinition(
            $"select {SummaryColumns} from chat_handoffs h {LastDriverMessage} where h.id = @id and (@scope::uuid is null or h.tenant_id = @scope)", new { id, scope }, cancellationToken: ct));
        if (summary is null) return null;
        var messages = await connection.QueryAsync<MessageRow>(new CommandDefinition(
            $"select {MessageColumns} from chat_handoff_messages m where m.handoff_id = @id order by m.id", new { id }, cancellationToken: ct));
        return new HandoffThread(Opened(summary), messages.Select(Opened).ToList());
    }

    /// <summary>Where to send to the driver of an open hand-over in the scope, or null.</summary>
    public async Task<HandoffAddress?> AddressAsync(Guid id, Guid? scope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<AddressRow>(new CommandDefinition("""
            select id, channel, sender, sender_encrypted as SenderEncrypted, reply_via as ReplyVia, tenant_id as TenantId, language, status from chat_handoffs
            where id = @id and (@scope::uuid is null or tenant_id = @scope)
            """, new { id, scope }, cancellationToken: ct));
        return row is null ? null : new HandoffAddress(row.Id, row.Channel, row.Sender, protector.Reveal(row.SenderEncrypted, ChatSenderKeys.StillClear(row.Sender), SenderField), row.ReplyVia,
            row.TenantId, row.Language, row.Status);
    }

    /// <summary>
    /// Records a message to the driver (an operator's answer, or the notice that the operator closed the chat) and
    /// moves the hand-over to <paramref name="status"/>; null when the hand-over was closed meanwhile.
    /// </summary>
    public async Task<HandoffMessage?> AddMessageToDriverAsync(HandoffAddress to, string author, Guid? operatorId, string text, string delivery, string status, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            update chat_handoffs set status = @status, last_message_at = @now,
                closed_at = case when @status = 'closed' then @now end, closed_by = case when @status = 'closed' then 'operator' end
            where id = @Id and status <> 'closed'
            """, new { to.Id, status, now }, tx, cancellationToken: ct));
        if (updated == 0) return null;
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            insert into chat_handoff_messages (handoff_id, at, author, operator_id, text_encrypted, delivery) values (@Id, @now, @author, @operatorId, @sealedText, @delivery) returning id
            """, new { to.Id, now, author, operatorId, sealedText = protector.Seal(text, TextField), delivery }, tx, cancellationToken: ct));
        await ChangedAsync(connection, tx, new HandoffChanged(to.Id, to.TenantId, status, HandoffChanged.KeyOf(to.Channel, to.Sender)), ct);
        return new HandoffMessage(id, now, author, text, delivery);
    }

    public async Task SetDeliveryAsync(long messageId, string delivery, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("update chat_handoff_messages set delivery = @delivery where id = @messageId",
            new { messageId, delivery }, cancellationToken: ct));
    }

    /// <summary>What operators (and the closing notice) said to this chat user after message <paramref name="after"/>, for apps that fetch them.</summary>
    public async Task<IReadOnlyList<HandoffMessage>> ToDriverAsync(string channel, string sender, long after, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<MessageRow>(new CommandDefinition($"""
            select {MessageColumns} from chat_handoffs h join chat_handoff_messages m on m.handoff_id = h.id
            where h.channel = @channel and h.sender = @sender and m.delivery is not null and m.id > @after
            order by m.id limit 100
            """, new { channel, sender, after }, cancellationToken: ct))).Select(Opened).ToList();
    }

    /// <summary>Closes hand-overs nobody wrote in for <paramref name="idle"/> (the retention job deletes them later: <see cref="ChatTranscriptRetention"/>).</summary>
    public async Task<int> CloseIdleAsync(TimeSpan idle, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        var closed = (await connection.QueryAsync<TimedOut>(new CommandDefinition("""
            update chat_handoffs set status = 'closed', closed_at = @now, closed_by = 'timeout'
            where status <> 'closed' and last_message_at < @idleBefore returning id, tenant_id, channel, sender
            """, new { now, idleBefore = now - idle }, tx, cancellationToken: ct)))
            .Select(t => new HandoffChanged(t.Id, t.TenantId, HandoffStatuses.Closed, HandoffChanged.KeyOf(t.Channel, t.Sender))).ToList();
        if (closed.Count > 0) await outbox.AppendAsync(connection, tx, closed, ct);
        await tx.CommitAsync(ct);
        foreach (var change in closed) feed.Changed(change);
        return closed.Count;
    }

    private async Task ChangedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, HandoffChanged change, CancellationToken ct)
    {
        await outbox.AppendAsync(connection, tx, change, ct);
        await tx.CommitAsync(ct);
        feed.Changed(change);
    }
}

/// <summary>Where a hand-over's messages to the driver go.</summary>
/// <param name="Sender">The chat user as stored (<see cref="ChatSenderKeys"/>).</param>
/// <param name="ReplyTo">Their id on the channel, to send to.</param>
public sealed record HandoffAddress(Guid Id, string Channel, string Sender, string? ReplyTo, string? ReplyVia, Guid? TenantId, string Language, string Status);

/// <summary>Hand-overs changed (on this node at once, from other nodes through <see cref="HandoffChanged"/> events).</summary>
public sealed class HandoffFeed : ChangeFeed<HandoffChanged>;

/// <summary>On every node: hand-over events from any node reach this node's pages and chat widgets.</summary>
public sealed class HandoffFeedSubscriber(HandoffFeed feed) : IEventHandler<HandoffChanged>
{
    public Task HandleAsync(HandoffChanged domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        feed.Changed(domainEvent);
        return Task.CompletedTask;
    }
}
