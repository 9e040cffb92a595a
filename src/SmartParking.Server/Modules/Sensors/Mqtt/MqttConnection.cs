using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;
using SmartParking.Server.Modules.Sensors.Registry;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>
/// One MQTT 3.1.1 connection, from accept to close. A read loop decodes packets and answers the cheap ones itself
/// (CONNECT, SUBSCRIBE, PINGREQ); PUBLISH and PUBREL go through a bounded queue to a processor that hands them to
/// the gateway one at a time, in arrival order, and acknowledges only what the gateway accepted. Whatever ends the
/// connection, it ends with exactly one log line.
/// </summary>
internal sealed partial class MqttConnection
{
    private readonly ConnectionContext _context;
    private readonly IMqttDeviceGateway _gateway;
    private readonly MqttSessionRegistry _registry;
    private readonly MqttMetrics _metrics;
    private readonly MqttOptions _options;
    private readonly ILogger _logger;
    private readonly MqttOutput _output;
    // Cancelled for a hard stop: whatever the connection is doing ends now.
    private readonly CancellationTokenSource _abort = new();
    // _abort plus the deadline for the next packet: the connect timeout, then 1.5 times the keep-alive.
    private readonly CancellationTokenSource _readDeadline;
    private readonly Channel<Inbound> _inbound;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _processor = Task.CompletedTask;
    private TimeSpan _keepAliveTimeout;
    private Ending? _aborted;
    private Ending? _ended;

    public MqttConnection(ConnectionContext context, IMqttDeviceGateway gateway, MqttSessionRegistry registry, MqttMetrics metrics,
        MqttOptions options, ILogger logger)
    {
        _context = context;
        _gateway = gateway;
        _registry = registry;
        _metrics = metrics;
        _options = options;
        _logger = logger;
        _output = new MqttOutput(context.Transport.Output, OnWriteStalled);
        _readDeadline = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        _inbound = Channel.CreateBounded<Inbound>(new BoundedChannelOptions(options.MaxInflight)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The authenticated device; null until CONNECT has been accepted.</summary>
    public DeviceIdentity? Device { get; private set; }

    public string? ClientId { get; private set; }

    public string ConnectionId => _context.ConnectionId;

    /// <summary>Completes once the connection is closed and nothing it read is still being handled.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Runs the connection to its end; never throws.</summary>
    public async Task<MqttCloseReason> RunAsync()
    {
        // Kestrel asks its connections to close when the host stops. MQTT 3.1.1 has no DISCONNECT from the server,
        // so closing the socket is the whole answer.
        using var shutdown = _context.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .Register(static state => ((MqttConnection)state!).Abort(MqttCloseReason.ServerShutdown), this);
        try
        {
            _readDeadline.CancelAfter(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds));
            await ReadLoopAsync();
            // A graceful end (DISCONNECT, or the stream ending) still hands what was already read to the gateway.
            _inbound.Writer.TryComplete();
            await _processor;
        }
        catch (Exception e)
        {
            Abort(MqttCloseReason.InternalError, e.Message, e);
        }
        return await FinishAsync();
    }

    /// <summary>Ends the connection now (take-over, shutdown, a protocol error). The first reason given is the one logged.</summary>
    public void Abort(MqttCloseReason reason, string? detail = null, Exception? exception = null)
    {
        if (Interlocked.CompareExchange(ref _aborted, new Ending(reason, detail, exception), null) is not null) return;
        // Callbacks run on the thread pool: Abort is also called from other connections (take-over) and must not run their work.
        _ = _abort.CancelAsync();
    }

    private void End(MqttCloseReason reason, string? detail = null, Exception? exception = null) =>
        Interlocked.CompareExchange(ref _ended, new Ending(reason, detail, exception), null);

    private async Task ReadLoopAsync()
    {
        var input = _context.Transport.Input;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(_readDeadline.Token);
            }
            catch (OperationCanceledException)
            {
                DeadlinePassed();
                return;
            }
            catch (IOException e)
            {
                End(MqttCloseReason.ConnectionLost, e.Message);
                return;
            }

            var buffer = read.Buffer;
            var decodedAny = false;
            try
            {
                while (!_abort.IsCancellationRequested)
                {
                    var result = MqttPacketReader.TryRead(buffer, _options.MaxPacketBytes);
                    if (result.Status == MqttReadStatus.Incomplete) break;
                    if (result.Status == MqttReadStatus.Invalid)
                    {
                        Invalid(result.Error!);
                        return;
                    }
                    buffer = buffer.Slice(result.Consumed);
                    decodedAny = true;
                    if (!await HandleAsync(result.Packet!)) return;
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (_abort.IsCancellationRequested) return;
            // Re-armed per read rather than per packet: one timer change covers a whole batch.
            if (decodedAny && Device is not null) _readDeadline.CancelAfter(_keepAliveTimeout);
            if (read.IsCompleted)
            {
                End(MqttCloseReason.ConnectionLost, buffer.IsEmpty ? "the client closed the connection without DISCONNECT" : "the stream ended inside a packet");
                return;
            }
        }
    }

    private void DeadlinePassed()
    {
        if (_abort.IsCancellationRequested) return; // stopped for a reason already recorded
        if (!_readDeadline.IsCancellationRequested)
        {
            // Kestrel aborted the transport (ConnectionAbortedException is an OperationCanceledException).
            End(MqttCloseReason.ConnectionLost, "the transport was aborted");
            return;
        }
        if (Device is null)
        {
            _metrics.Refused("connect_timeout");
            Abort(MqttCloseReason.ConnectTimeout, $"no CONNECT within {_options.ConnectTimeoutSeconds} s");
        }
        else
        {
            Abort(MqttCloseReason.KeepAliveTimeout, $"nothing received for {_keepAliveTimeout.TotalSeconds:0.#} s");
        }
    }

    private void Invalid(MqttDecodeError error)
    {
        var tooLarge = error.Code == MqttErrorCode.PacketTooLarge;
        if (Device is null) _metrics.Refused(tooLarge ? "packet_too_large" : "protocol_error");
        Abort(tooLarge ? MqttCloseReason.PacketTooLarge : MqttCloseReason.ProtocolError, error.ToString());
    }

    private void OnWriteStalled()
    {
        Abort(MqttCloseReason.WriteStalled, $"the client took no data for {MqttOutput.WriteTimeout.TotalSeconds:0} s");
        // The pending flush only ends when the socket does.
        _context.Abort(new ConnectionAbortedException("The MQTT client stopped reading."));
    }

    private async Task<MqttCloseReason> FinishAsync()
    {
        _ = _abort.CancelAsync();
        try
        {
            await _processor;
        }
        catch (Exception e)
        {
            // The processor catches everything itself; this only keeps a bug there from escaping the handler.
            Abort(MqttCloseReason.InternalError, e.Message, e);
        }
        _registry.Unregister(this);
        await _output.CloseAsync();
        _readDeadline.Dispose();

        var ending = _aborted ?? _ended ?? new Ending(MqttCloseReason.ConnectionLost, null, null);
        var level = ending.Exception is not null ? LogLevel.Error : ending.Reason switch
        {
            MqttCloseReason.ClientDisconnected or MqttCloseReason.ConnectionLost or MqttCloseReason.ServerShutdown => LogLevel.Debug,
            MqttCloseReason.TakenOver or MqttCloseReason.KeepAliveTimeout or MqttCloseReason.ConnectTimeout => LogLevel.Information,
            _ => LogLevel.Warning,
        };
        MqttLog.Closed(_logger, level, ending.Exception, ConnectionId, _context.RemoteEndPoint?.ToString() ?? "unknown",
            MqttMetrics.Tag(ending.Reason), ending.Detail ?? "-", ClientId is null ? "-" : Printable(ClientId), Device?.Serial ?? "-");
        _completion.TrySetResult();
        return ending.Reason;
    }

    /// <summary>Client-chosen text in a log line: bounded, and without control characters that could fake lines.</summary>
    internal static string Printable(string value)
    {
        var text = value.Length <= 100 ? value : value[..100] + "…";
        return string.Create(text.Length, text, static (span, s) =>
        {
            for (var i = 0; i < s.Length; i++) span[i] = char.IsControl(s[i]) ? '?' : s[i];
        });
    }

    private readonly record struct Inbound(MqttPacket Packet, long ReceivedAt);

    private sealed record Ending(MqttCloseReason Reason, string? Detail, Exception? Exception);
}
