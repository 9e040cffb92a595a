using System.Buffers;
using System.IO.Pipelines;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>
/// The write side of one connection. Several tasks write to it (the reader answers pings and subscriptions, the
/// publish processor acknowledges, <see cref="MqttDeviceCommands"/> sends commands), so each packet is written and
/// flushed whole under one lock. Every method returns false instead of throwing once the connection cannot be
/// written to; the caller then ends the connection.
/// </summary>
internal sealed class MqttOutput(PipeWriter writer, Action onStalled)
{
    /// <summary>
    /// How long a flush may wait for the peer to take bytes. The transport buffers only a little before a flush waits,
    /// so this bounds both the memory a peer that stopped reading can pin and how long other writers queue behind it.
    /// </summary>
    public static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(15);

    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _closed;

    public ValueTask<bool> ConnAckAsync(MqttConnectReturnCode code, CancellationToken ct) =>
        WriteAsync(code, static (w, c) => MqttPacketWriter.WriteConnAck(w, sessionPresent: false, c), ct);

    /// <summary>PUBACK, PUBREC, PUBCOMP or UNSUBACK.</summary>
    public ValueTask<bool> PacketIdentifierAsync(MqttPacketType type, ushort packetId, CancellationToken ct) =>
        WriteAsync((type, packetId), static (w, s) => MqttPacketWriter.WritePacketIdentifier(w, s.type, s.packetId), ct);

    public ValueTask<bool> SubAckAsync(ushort packetId, byte[] returnCodes, CancellationToken ct) =>
        WriteAsync((packetId, returnCodes), static (w, s) => MqttPacketWriter.WriteSubAck(w, s.packetId, s.returnCodes), ct);

    public ValueTask<bool> PingRespAsync(CancellationToken ct) =>
        WriteAsync(0, static (w, _) => MqttPacketWriter.WritePingResp(w), ct);

    /// <summary>A packet encoded elsewhere (a command PUBLISH shared by several subscribers).</summary>
    public ValueTask<bool> PacketAsync(byte[] packet, CancellationToken ct) =>
        WriteAsync(packet, static (w, p) => w.Write(p), ct);

    /// <summary>Nothing is written after this: the transport completes the pipe once the connection handler returns.</summary>
    public async Task CloseAsync()
    {
        await _lock.WaitAsync();
        _closed = true;
        _lock.Release();
    }

    private async ValueTask<bool> WriteAsync<TState>(TState state, Action<IBufferWriter<byte>, TState> encode, CancellationToken ct)
    {
        // The caller's token only limits the wait for the lock; a started write is bounded by WriteTimeout instead,
        // because abandoning a half-flushed pipe would leave it unusable.
        try { await _lock.WaitAsync(ct); }
        catch (OperationCanceledException) { return false; }
        try
        {
            if (_closed) return false;
            encode(writer, state);
            var pending = writer.FlushAsync(CancellationToken.None);
            FlushResult flushed;
            if (pending.IsCompletedSuccessfully) flushed = pending.Result;
            else
            {
                try { flushed = await pending.AsTask().WaitAsync(WriteTimeout, CancellationToken.None); }
                catch (TimeoutException)
                {
                    _closed = true;
                    onStalled();
                    return false;
                }
            }
            if (flushed.IsCompleted || flushed.IsCanceled) _closed = true;
            return !_closed;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The transport is gone (reset, or completed under us); the reader will see it too.
            _closed = true;
            return false;
        }
        finally
        {
            _lock.Release();
        }
    }
}
