using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace SmartParking.Server.Modules.Notifications.Email;

/// <summary>
/// E-mail over SMTP with MailKit: one connection per batch, a text part and an HTML alternative, and a Message-ID made
/// from the message's id, so a retried message carries the same id and receiving systems can drop the copy; attachments
/// (reports) go as MIME attachments.
/// SMTP 4xx answers are worth another try; 5xx are final.
/// </summary>
public sealed class SmtpEmailChannel(IOptions<NotificationOptions> options, ILogger<SmtpEmailChannel> logger) : INotificationChannel
{
    public ChannelKind Kind => ChannelKind.Email;
    public bool IsConfigured => options.Value.Smtp.IsConfigured;
    public int MaxBatch => 100;

    public async Task<IReadOnlyList<ChannelResult>> SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken ct)
    {
        var o = options.Value.Smtp;
        var from = MailboxAddress.Parse(o.From!);
        var results = new List<ChannelResult>(messages.Count);
        using var client = new SmtpClient { Timeout = o.TimeoutSeconds * 1000 };
        try
        {
            await client.ConnectAsync(o.Host!, o.Port, o.Security switch
            {
                "none" => SecureSocketOptions.None,
                "ssl" => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.StartTls,
            }, ct);
            if (!string.IsNullOrEmpty(o.UserName)) await client.AuthenticateAsync(o.UserName, o.Password ?? "", ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("SMTP server {Host}:{Port} not usable: {Error}", o.Host, o.Port, e.Message);
            return messages.Select(m => new ChannelResult(m.MessageId, DeliveryOutcome.TransientFailure, Error: $"SMTP server not reachable: {e.Message}")).ToList();
        }

        try
        {
            foreach (var message in messages)
            {
                if (!client.IsConnected)
                {
                    results.Add(new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: "The SMTP connection was lost."));
                    continue;
                }
                if (!MailboxAddress.TryParse(message.Address, out var to))
                {
                    results.Add(new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: $"'{message.Address}' is not an e-mail address."));
                    continue;
                }
                var mime = Build(from, to, message);
                try
                {
                    await client.SendAsync(mime, ct);
                    results.Add(new ChannelResult(message.MessageId, DeliveryOutcome.Sent, "<" + mime.MessageId + ">"));
                }
                catch (SmtpCommandException e)
                {
                    var code = (int)e.StatusCode;
                    results.Add(new ChannelResult(message.MessageId, code >= 500 ? DeliveryOutcome.PermanentFailure : DeliveryOutcome.TransientFailure,
                        Error: $"SMTP {code}: {e.Message}"));
                }
                catch (Exception e) when (e is SmtpProtocolException or IOException or ServiceNotConnectedException or TimeoutException)
                {
                    // Whether the server kept this one is unknown; the Message-ID lets the receiving side drop a second copy.
                    results.Add(new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: $"SMTP connection failed: {e.Message}"));
                }
            }
        }
        finally
        {
            if (client.IsConnected)
            {
                try { await client.DisconnectAsync(quit: true, CancellationToken.None); }
                catch (Exception e) when (e is IOException or SmtpProtocolException or SmtpCommandException or ServiceNotConnectedException) { }
            }
        }
        return results;
    }

    private static MimeMessage Build(MailboxAddress from, MailboxAddress to, OutgoingMessage message)
    {
        var domain = from.Domain is { Length: > 0 } d ? d : "smartparking.local";
        var mime = new MimeMessage { Subject = message.Subject, MessageId = $"{message.MessageId:N}@{domain}" };
        mime.From.Add(from);
        mime.To.Add(to);
        var body = new BodyBuilder { TextBody = message.Text, HtmlBody = message.Html };
        foreach (var file in message.Attachments ?? []) body.Attachments.Add(file.FileName, file.Content, ContentType.Parse(file.ContentType));
        mime.Body = body.ToMessageBody();
        return mime;
    }
}
