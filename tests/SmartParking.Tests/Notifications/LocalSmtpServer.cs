using SmartParking.Tests.Infrastructure;
using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace SmartParking.Tests.Notifications;

/// <summary>
/// A real SMTP server on a loopback TCP port (the SmtpServer package): what it accepts is parsed with MimeKit as a mail
/// client would. Its next answers to DATA can be scripted (451 = try later, 550 = refused).
/// </summary>
public sealed class LocalSmtpServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<int> _script = new();
    private Task? _running;

    public int Port { get; private set; }

    public ConcurrentQueue<MimeMessage> Received { get; } = new();

    /// <summary>How many DATA commands were answered, accepted or not.</summary>
    public int Attempts;

    /// <summary>The next messages are answered with these codes, in order; then everything is accepted.</summary>
    public void Answer(params int[] codes)
    {
        foreach (var code in codes) _script.Enqueue(code);
    }

    public void Start()
    {
        Port = FreePorts.One();
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(this));
        _running = new SmtpServer.SmtpServer(options, services).StartAsync(_stop.Token);
    }

    public IReadOnlyList<MimeMessage> To(string address) =>
        Received.Where(m => m.To.Mailboxes.Any(x => string.Equals(x.Address, address, StringComparison.OrdinalIgnoreCase))).ToList();

    /// <summary>Waits (polling, with a deadline) until a message for the address has arrived.</summary>
    public async Task<MimeMessage> WaitForAsync(string address, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline)
        {
            if (To(address).FirstOrDefault() is { } message) return message;
            await Task.Delay(20);
        }
        throw new TimeoutException($"No e-mail for {address} arrived.");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            try { await _running; }
            catch (OperationCanceledException) { }
        }
        _stop.Dispose();
    }

    private sealed class Store(LocalSmtpServer server) : MessageStore
    {
        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken ct)
        {
            Interlocked.Increment(ref server.Attempts);
            if (server._script.TryDequeue(out var code))
                return Task.FromResult(new SmtpResponse((SmtpReplyCode)code, code >= 500 ? "5.1.1 Mailbox unavailable" : "4.3.0 Try again later"));
            using var stream = new MemoryStream(buffer.ToArray());
            server.Received.Enqueue(MimeMessage.Load(stream));
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}
