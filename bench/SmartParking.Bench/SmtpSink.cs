using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SmartParking.Bench;

/// <summary>A message the sink accepted: when its DATA was acknowledged (Stopwatch ticks and wall clock), to whom, and its text.</summary>
internal sealed record SinkMessage(long AcceptedTimestamp, DateTimeOffset AcceptedAt, string Recipient, string Data);

/// <summary>
/// A local SMTP server for the notification benchmark: it speaks enough of RFC 5321 for a real client (EHLO, MAIL,
/// RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT) and notes the moment it answers 250 to each message's DATA,
/// which is when the platform's mail is accepted.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public SmtpSink()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<SinkMessage> Messages { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            await using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 bench-sink ESMTP");
            var recipients = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteAsync("250-bench-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
                        break;
                    case "HELO": await writer.WriteLineAsync("250 bench-sink"); break;
                    case "MAIL": recipients.Clear(); await writer.WriteLineAsync("250 OK"); break;
                    case "RCPT":
                        recipients.Add(line[(line.IndexOf('<') + 1)..line.LastIndexOf('>')]);
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } body && body != ".")
                            data.AppendLine(body.StartsWith("..", StringComparison.Ordinal) ? body[1..] : body);
                        var text = data.ToString();
                        foreach (var r in recipients) Messages.Enqueue(new SinkMessage(Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow, r, text));
                        await writer.WriteLineAsync("250 OK queued");
                        break;
                    case "RSET": recipients.Clear(); await writer.WriteLineAsync("250 OK"); break;
                    case "NOOP": await writer.WriteLineAsync("250 OK"); break;
                    case "QUIT": await writer.WriteLineAsync("221 Bye"); return;
                    default: await writer.WriteLineAsync("502 Command not implemented"); break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
