using SmartParking.Server.Platform.Protection;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Database;

namespace SmartParking.Server.Modules.Notifications.Delivery;

/// <summary>
/// Sends what is due, on one node at a time (a PostgreSQL advisory lock), batched per channel. Before a message is
/// handed to a provider its row is leased (attempt counted, next try pushed past the lease), and each answer is recorded
/// as soon as it comes: a message the provider took is never offered again, and one a crash interrupted is retried
/// after its lease. Over the hourly cap or in quiet hours a message waits (still queued, with the reason); it is never dropped.
/// </summary>
public sealed class NotificationSender(
    NpgsqlDataSource db, IEnumerable<INotificationChannel> channels, SenderSignal signal, PostgresNotifications notifications, IConsents consents,
    FieldProtector protector, IOptions<NotificationOptions> options, TimeProvider time, ILogger<NotificationSender> logger) : BackgroundService
{
    private const long LockKey = 0x4E4F5449; // "NOTI"
    private const int ClaimSize = 500;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private readonly IReadOnlyDictionary<string, INotificationChannel> _channels =
        channels.GroupBy(c => c.Kind).ToDictionary(g => ChannelNames.Of(g.Key), g => g.First());

    // One round at a time on this node; the advisory lock keeps other nodes out.
    private readonly SemaphoreSlim _round = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        notifications.Subscribe(SenderSignal.PostgresChannel, _ => signal.Wake());
        var fallback = TimeSpan.FromSeconds(options.Value.FallbackSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SendDueAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A failed round must not stop the host (a BackgroundService's exception would); the rows keep the state.
                logger.LogError(e, "Sending notifications failed; trying again shortly");
            }
            try { await signal.WaitAsync(fallback, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Sends everything due now (tests call this instead of waiting for a wake-up); answers how many messages it handled.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        await _round.WaitAsync(ct);
        try
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition($"select pg_try_advisory_lock({LockKey})", cancellationToken: ct))) return 0;
            try
            {
                var handled = 0;
                int round;
                do handled += round = await SendRoundAsync(ct);
                while (round == ClaimSize);
                return handled;
            }
            finally
            {
                await connection.ExecuteAsync(new CommandDefinition($"select pg_advisory_unlock({LockKey})", cancellationToken: CancellationToken.None));
            }
        }
        finally
        {
            _round.Release();
        }
    }

    private sealed class DueRow
    {
        public Guid Id { get; init; }
        public Guid? DriverId { get; init; }
        public string Channel { get; init; } = "";
        public string? Address { get; init; }
        public byte[]? AddressEncrypted { get; init; }
        public bool Urgent { get; init; }
        public bool Marketing { get; init; }
        public string Subject { get; init; } = "";
        public string? BodyText { get; init; }
        public byte[]? BodyTextEncrypted { get; init; }
        public string? BodyHtml { get; init; }
        public byte[]? BodyHtmlEncrypted { get; init; }
        public string? Link { get; init; }
        public string? SigningSecret { get; init; }
        public int Attempts { get; init; }
        public string? QuietStart { get; init; }
        public string? QuietEnd { get; init; }
        public string? TimeZone { get; init; }
    }

    private sealed record Hold(Guid Id, DateTimeOffset Until, string Reason);

    private async Task<int> SendRoundAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var o = options.Value;
        List<DueRow> claimed;
        int dueCount;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            var due = (await connection.QueryAsync<DueRow>(new CommandDefinition($"""
                select m.id, m.driver_id, m.channel, m.address, m.address_encrypted, m.urgent, m.marketing, m.subject, m.body_text, m.body_text_encrypted,
                       m.body_html, m.body_html_encrypted, m.link, m.signing_secret, m.attempts,
                       to_char(p.quiet_start, 'HH24:MI') as quiet_start, to_char(p.quiet_end, 'HH24:MI') as quiet_end, p.time_zone
                from notification_messages m left join notification_preferences p on p.driver_id = m.driver_id
                where m.status = 'queued' and m.next_attempt_at <= @now
                order by m.next_attempt_at, m.id limit {ClaimSize}
                for update of m skip locked
                """, new { now }, tx, cancellationToken: ct))).ToList();
            dueCount = due.Count;
            if (dueCount == 0) return 0;

            var holds = new List<Hold>();
            var suppressed = new List<Guid>();
            var unsendable = new List<Guid>();
            var capped = new List<DueRow>();
            claimed = [];
            // Asked again when sending: a consent withdrawn since the message was queued stops it.
            var consenting = await consents.GrantedAsync(ConsentPurposes.MarketingNotifications,
                [.. due.Where(r => r.Marketing && r.DriverId is not null).Select(r => r.DriverId!.Value)], ct);
            foreach (var row in due)
            {
                if (row.Marketing && row.DriverId is { } driverId && !consenting.Contains(driverId)) suppressed.Add(row.Id);
                else if (!_channels.TryGetValue(row.Channel, out var channel) || !channel.IsConfigured) unsendable.Add(row.Id);
                else if (!row.Urgent && QuietUntil(row, now) is { } quietEnd)
                    holds.Add(new Hold(row.Id, quietEnd, $"Quiet hours until {quietEnd.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC."));
                else if (!row.Urgent && row.DriverId is not null) capped.Add(row);
                else claimed.Add(row);
            }
            var (allowed, overCap) = await ApplyHourlyCapAsync(connection, tx, capped, now, o.MaxPerUserPerHour, ct);
            claimed.AddRange(allowed);
            holds.AddRange(overCap);

            await connection.ExecuteAsync(new CommandDefinition("""
                update notification_messages set status = 'suppressed', reason = 'The driver has not agreed to marketing messages.', updated_at = @now where id = any(@ids)
                """, new { ids = suppressed.ToArray(), now }, tx, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("""
                update notification_messages set status = 'failed', failed_at = @now, updated_at = @now,
                    reason = 'This deployment has no provider configured for the ' || channel || ' channel.'
                where id = any(@ids)
                """, new { ids = unsendable.ToArray(), now }, tx, cancellationToken: ct));
            foreach (var hold in holds)
                await connection.ExecuteAsync(new CommandDefinition(
                    "update notification_messages set next_attempt_at = @Until, reason = @Reason, updated_at = @now where id = @Id",
                    new { hold.Id, hold.Until, hold.Reason, now }, tx, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("""
                update notification_messages set attempts = attempts + 1, next_attempt_at = @leaseEnd, updated_at = @now where id = any(@ids)
                """, new { ids = claimed.Select(c => c.Id).ToArray(), leaseEnd = now + Lease, now }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
            if (claimed.Count == 0) return dueCount;
        }

        foreach (var group in claimed.GroupBy(c => c.Channel))
        {
            var channel = _channels[group.Key];
            foreach (var batch in group.Chunk(Math.Clamp(channel.MaxBatch, 1, 100)))
            {
                var results = await SendBatchAsync(channel, batch, ct);
                await RecordAsync(batch, results, o, ct);
            }
        }
        // A full claim means more may be due: the caller goes round again.
        return dueCount;
    }

    private sealed class AttachmentRow
    {
        public Guid MessageId { get; init; }
        public string FileName { get; init; } = "";
        public string ContentType { get; init; } = "";
        public byte[] Content { get; init; } = [];
    }

    private async Task<Dictionary<Guid, IReadOnlyList<MessageAttachment>>> AttachmentsAsync(DueRow[] batch, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AttachmentRow>(new CommandDefinition("""
            select message_id, file_name, content_type, content from notification_attachments where message_id = any(@ids) order by message_id, position
            """, new { ids = batch.Select(r => r.Id).ToArray() }, cancellationToken: ct));
        return rows.GroupBy(r => r.MessageId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<MessageAttachment>)[.. g.Select(r => new MessageAttachment(r.FileName, r.ContentType, r.Content))]);
    }

    private async Task<IReadOnlyDictionary<Guid, ChannelResult>> SendBatchAsync(INotificationChannel channel, DueRow[] batch, CancellationToken ct)
    {
        var attachments = channel.Kind == ChannelKind.Email ? await AttachmentsAsync(batch, ct) : [];
        var messages = batch.Select(r => new OutgoingMessage(r.Id, protector.Reveal(r.AddressEncrypted, r.Address, NotificationFields.Address) ?? "", r.Subject,
            protector.Reveal(r.BodyTextEncrypted, r.BodyText, NotificationFields.BodyText) ?? "", protector.Reveal(r.BodyHtmlEncrypted, r.BodyHtml, NotificationFields.BodyHtml),
            r.Link, r.SigningSecret, r.Urgent,
            attachments.TryGetValue(r.Id, out var files) ? files : null)).ToList();
        try
        {
            return (await channel.SendAsync(messages, ct)).GroupBy(r => r.MessageId).ToDictionary(g => g.Key, g => g.First());
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Channels answer failures as results; one that throws anyway did not send, so the batch is tried again.
            logger.LogError(e, "The {Channel} channel failed a batch of {Count}", channel.Kind, batch.Length);
            return batch.ToDictionary(r => r.Id, r => new ChannelResult(r.Id, DeliveryOutcome.TransientFailure, Error: e.Message));
        }
    }

    private async Task RecordAsync(DueRow[] batch, IReadOnlyDictionary<Guid, ChannelResult> results, NotificationOptions o, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        foreach (var row in batch)
        {
            var result = results.GetValueOrDefault(row.Id) ?? new ChannelResult(row.Id, DeliveryOutcome.TransientFailure, Error: "The channel gave no answer for this message.");
            var attempt = row.Attempts + 1;
            var (sql, args) = result.Outcome switch
            {
                DeliveryOutcome.Sent => ("update notification_messages set status = 'sent', sent_at = @now, provider_message_id = @provider, reason = null, updated_at = @now where id = @id",
                    new { id = row.Id, now, provider = result.ProviderMessageId, reason = (string?)null, next = (DateTimeOffset?)null }),
                DeliveryOutcome.Delivered => ("""
                    update notification_messages set status = 'delivered', sent_at = @now, delivered_at = @now, provider_message_id = @provider, reason = null, updated_at = @now
                    where id = @id
                    """, new { id = row.Id, now, provider = result.ProviderMessageId, reason = (string?)null, next = (DateTimeOffset?)null }),
                DeliveryOutcome.TransientFailure when attempt <= o.MaxRetries => (
                    "update notification_messages set next_attempt_at = @next, reason = @reason, updated_at = @now where id = @id",
                    new { id = row.Id, now, provider = (string?)null, reason = (string?)$"Attempt {attempt} failed: {result.Error}", next = (DateTimeOffset?)(now + Backoff(attempt, result.RetryAfter, o)) }),
                DeliveryOutcome.TransientFailure => (
                    "update notification_messages set status = 'failed', failed_at = @now, reason = @reason, updated_at = @now where id = @id",
                    new { id = row.Id, now, provider = (string?)null, reason = (string?)$"Gave up after {attempt} attempts: {result.Error}", next = (DateTimeOffset?)null }),
                _ => ("update notification_messages set status = 'failed', failed_at = @now, reason = @reason, updated_at = @now where id = @id",
                    new { id = row.Id, now, provider = (string?)null, reason = (string?)(result.Error ?? result.Outcome.ToString()), next = (DateTimeOffset?)null }),
            };
            await connection.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: CancellationToken.None));
            if (result.Outcome is DeliveryOutcome.PermanentFailure or DeliveryOutcome.AddressGone)
                logger.LogWarning("Notification {Id} on {Channel} failed for good: {Error}", row.Id, row.Channel, result.Error);
        }
    }

    /// <summary>Exponential from the base (base, 2×base, 4×base, …); a provider's Retry-After wins when it asks for longer.</summary>
    private static TimeSpan Backoff(int attempt, TimeSpan? retryAfter, NotificationOptions o)
    {
        var exponential = TimeSpan.FromSeconds(o.RetryBaseSeconds * Math.Pow(2, attempt - 1));
        return retryAfter is { } asked && asked > exponential ? asked : exponential;
    }

    /// <summary>
    /// Splits non-urgent driver messages into those within each driver's hourly allowance and those that must wait; a
    /// waiting one is due again when the oldest message that fills the window leaves it.
    /// </summary>
    private static async Task<(List<DueRow> Allowed, List<Hold> Held)> ApplyHourlyCapAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, List<DueRow> rows, DateTimeOffset now, int cap, CancellationToken ct)
    {
        var allowed = new List<DueRow>();
        var held = new List<Hold>();
        if (rows.Count == 0) return (allowed, held);
        var sent = (await connection.QueryAsync<(Guid DriverId, DateTime SentAt)>(new CommandDefinition("""
            select driver_id, sent_at from notification_messages
            where driver_id = any(@drivers) and sent_at > @since and not urgent
            order by sent_at
            """, new { drivers = rows.Select(r => r.DriverId!.Value).Distinct().ToArray(), since = now - TimeSpan.FromHours(1) }, tx, cancellationToken: ct)))
            .GroupBy(s => s.DriverId).ToDictionary(g => g.Key, g => g.Select(s => new DateTimeOffset(DateTime.SpecifyKind(s.SentAt, DateTimeKind.Utc))).ToList());
        foreach (var driverRows in rows.GroupBy(r => r.DriverId!.Value))
        {
            var window = sent.GetValueOrDefault(driverRows.Key) ?? [];
            foreach (var row in driverRows)
            {
                if (window.Count < cap)
                {
                    allowed.Add(row);
                    window.Add(now);
                    continue;
                }
                var until = window[window.Count - cap] + TimeSpan.FromHours(1);
                held.Add(new Hold(row.Id, until, $"Hourly limit of {cap} messages reached; waits until {until.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC."));
            }
        }
        return (allowed, held);
    }

    /// <summary>When the driver's quiet hours end, if they are in them now (in the driver's zone; a window may span midnight).</summary>
    private static DateTimeOffset? QuietUntil(DueRow row, DateTimeOffset now)
    {
        if (row.QuietStart is null || row.QuietEnd is null || row.TimeZone is null) return null;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(row.TimeZone, out var zone)) return null;
        var start = TimeOnly.Parse(row.QuietStart, CultureInfo.InvariantCulture);
        var end = TimeOnly.Parse(row.QuietEnd, CultureInfo.InvariantCulture);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var clock = TimeOnly.FromDateTime(local.DateTime);
        var quiet = start < end ? clock >= start && clock < end : clock >= start || clock < end;
        if (!quiet) return null;
        var endDay = clock < end ? local.Date : local.Date.AddDays(1);
        var endLocal = endDay + end.ToTimeSpan();
        // An end that falls in a spring-forward gap happens at the first valid minute after it.
        while (zone.IsInvalidTime(endLocal)) endLocal = endLocal.AddMinutes(30);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(endLocal, DateTimeKind.Unspecified), zone), TimeSpan.Zero);
    }
}
