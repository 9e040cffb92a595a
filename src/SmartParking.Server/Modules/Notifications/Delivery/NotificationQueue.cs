using SmartParking.Server.Platform.Protection;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Notifications.Templates;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Notifications.Delivery;

/// <summary>
/// Turns requests into rows of the delivery log: one per address and channel, rendered in the recipient's language.
/// A driver's channels come from their preferences; a channel this deployment has no provider for is left out.
/// </summary>
public sealed class NotificationQueue(
    NpgsqlDataSource db, IEnumerable<INotificationChannel> channels, PreferencesStore preferences, IAccountContacts accounts, SenderSignal signal,
    FieldProtector protector, TimeProvider time, ILogger<NotificationQueue> logger) : INotificationQueue
{
    private readonly IReadOnlyDictionary<ChannelKind, INotificationChannel> _channels = channels.GroupBy(c => c.Kind).ToDictionary(g => g.Key, g => g.First());

    private sealed record NewMessage(
        Guid Id, Guid? TenantId, Guid? DriverId, Guid SourceEventId, string Channel, string Address, string Kind, string Language, bool Urgent, bool Marketing,
        string Subject, string BodyText, string? BodyHtml, string? Link, string? SigningSecret, string Status, string? Reason)
    {
        public IReadOnlyList<MessageAttachment> Attachments { get; init; } = [];
    }

    public async Task QueueAsync(IReadOnlyCollection<NotificationRequest> requests, CancellationToken ct)
    {
        if (requests.Count == 0) return;
        var drivers = requests.Select(r => r.Recipient).OfType<DriverRecipient>().Select(d => d.DriverId).Distinct().ToList();
        var chosen = await preferences.GetManyAsync(drivers, ct);
        var emails = await accounts.EmailsOfAsync(drivers, ct);
        var rows = new List<NewMessage>();
        foreach (var request in requests)
        {
            if (request.Kind != NotificationKinds.Webhook && !MessageTemplates.Exists(request.Kind)) throw new ArgumentException($"There is no message template for the kind '{request.Kind}'.", nameof(requests));
            switch (request.Recipient)
            {
                case AddressRecipient to:
                    var address = to.Channel switch
                    {
                        ChannelKind.Email => ContactAddresses.Email(to.Address, "address"),
                        ChannelKind.Sms => ContactAddresses.Phone(to.Address, "address"),
                        _ => to.Address,
                    };
                    if (Configured(to.Channel)) rows.Add(Row(request, null, to.Channel, address, to.Language, to.SigningSecret, consent: true));
                    break;
                case DriverRecipient driver:
                    var p = chosen.GetValueOrDefault(driver.DriverId) ?? DriverPreferences.Default(driver.DriverId);
                    foreach (var name in p.ChannelsFor(request.Kind))
                    {
                        var channel = ChannelNames.Parse(name);
                        // Push rows carry the driver's id: the push channel finds that driver's subscriptions itself.
                        var to = channel switch
                        {
                            ChannelKind.Email => emails.GetValueOrDefault(driver.DriverId),
                            ChannelKind.Sms => p.Phone,
                            ChannelKind.Push => driver.DriverId.ToString(),
                            _ => null,
                        };
                        if (to is not null && Configured(channel)) rows.Add(Row(request, driver.DriverId, channel, to, p.Language, null, consent: p.Marketing));
                    }
                    break;
            }
        }
        if (rows.Count == 0) return;

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        // Asking again for the same event, recipient, channel and kind inserts nothing: the first row stands.
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            insert into notification_messages (id, tenant_id, driver_id, source_event_id, channel, address_encrypted, address_index, kind, language, urgent, marketing,
                subject, body_text_encrypted, body_html_encrypted, link, signing_secret, status, reason, next_attempt_at, queued_at, updated_at)
            values (@Id, @TenantId, @DriverId, @SourceEventId, @Channel, @addressEncrypted, @addressIndex, @Kind, @Language, @Urgent, @Marketing,
                @Subject, @bodyTextEncrypted, @bodyHtmlEncrypted, @Link, @SigningSecret, @Status, @Reason, @now, @now, @now)
            on conflict (source_event_id, address_index, channel, kind) do nothing
            """, rows.Select(r => new
            {
                r.Id, r.TenantId, r.DriverId, r.SourceEventId, r.Channel, r.Kind, r.Language, r.Urgent, r.Marketing, r.Subject, r.Link, r.SigningSecret, r.Status, r.Reason, now,
                addressEncrypted = protector.Seal(r.Address, NotificationFields.Address),
                addressIndex = protector.BlindIndex(r.Address, NotificationFields.Address),
                bodyTextEncrypted = protector.Seal(r.BodyText, NotificationFields.BodyText),
                bodyHtmlEncrypted = protector.SealOrNull(r.BodyHtml, NotificationFields.BodyHtml),
            }), tx, cancellationToken: ct));
        // Only a message inserted just now gets files: a duplicate's id was never stored, and the first row keeps its own.
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into notification_attachments (message_id, position, file_name, content_type, content)
            select @MessageId, @Position, @FileName, @ContentType, @Content where exists (select 1 from notification_messages where id = @MessageId)
            """, rows.SelectMany(r => r.Attachments.Select((a, i) => new { MessageId = r.Id, Position = i, a.FileName, a.ContentType, a.Content })),
            tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition($"select pg_notify('{SenderSignal.PostgresChannel}', '')", transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        if (inserted < rows.Count) logger.LogDebug("{Duplicates} notification(s) were already queued for their event", rows.Count - inserted);
        signal.Wake();
    }

    private bool Configured(ChannelKind channel) => _channels.TryGetValue(channel, out var c) && c.IsConfigured;

    private NewMessage Row(NotificationRequest request, Guid? driverId, ChannelKind channel, string address, string language, string? secret, bool consent)
    {
        var lang = MessageTemplates.LanguageFor(language);
        var link = request.Link ?? request.Fields.GetValueOrDefault("link");
        // A forwarded event is its own JSON body (the webhook channel signs and posts Text as it is), titled by its type.
        var rendered = request.Kind == NotificationKinds.Webhook
            ? new RenderedMessage(request.Fields["type"], request.Fields["body"], null)
            : MessageTemplates.Render(request.Kind, lang, request.Fields, link);
        // Kept in the log (a driver can see it was not sent, and why) instead of silently dropped.
        var (status, reason) = request.Marketing && !consent ? (MessageStatus.Suppressed, "The driver has not agreed to marketing messages.") : (MessageStatus.Queued, null);
        return new NewMessage(Guid.CreateVersion7(time.GetUtcNow()), request.TenantId, driverId, request.SourceEventId, ChannelNames.Of(channel), address,
            request.Kind, lang, request.Urgent, request.Marketing, rendered.Subject, rendered.Text, rendered.Html, link, secret, status, reason)
        {
            Attachments = channel == ChannelKind.Email ? request.Attachments ?? [] : [],
        };
    }
}
