using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace SmartParking.Simulator;

/// <summary>
/// A small MQTT 3.1.1 client for load generation (no MQTT library is available here): CONNECT with credentials,
/// PUBLISH at QoS 0 or 1 with a window of unacknowledged messages, PINGREQ. One connection per simulated device.
/// </summary>
public sealed class MqttClient : IAsyncDisposable
{
    private readonly TcpClient _tcp = new() { NoDelay = true };
    private NetworkStream _stream = null!;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly SemaphoreSlim _window;
    private readonly Dictionary<ushort, TaskCompletionSource> _pending = [];
    private ushort _nextId;
    private Task _reader = Task.CompletedTask;

    public MqttClient(int window = 32) => _window = new SemaphoreSlim(window, window);

    public async Task ConnectAsync(string host, int port, string clientId, string username, string password, CancellationToken ct)
    {
        await _tcp.ConnectAsync(host, port, ct);
        _stream = _tcp.GetStream();
        var body = new List<byte>();
        body.AddRange(Str("MQTT"));
        body.Add(4);           // protocol level 3.1.1
        body.Add(0b1100_0010); // username, password, clean session
        body.AddRange([0, 60]);
        body.AddRange(Str(clientId));
        body.AddRange(Str(username));
        body.AddRange(Str(password));
        await SendAsync(0x10, body.ToArray(), ct);
        var header = new byte[4];
        await _stream.ReadExactlyAsync(header, ct);
        if (header[0] != 0x20 || header[3] != 0) throw new InvalidOperationException($"CONNACK refused with return code {header[3]}.");
        _reader = Task.Run(() => ReadLoopAsync(ct), ct);
    }

    /// <summary>QoS 0 completes when written; QoS 1 when the server's PUBACK arrives (the server sends it once the reading is durable).</summary>
    public async Task PublishAsync(string topic, byte[] payload, int qos, CancellationToken ct)
    {
        var body = new List<byte>(Str(topic));
        TaskCompletionSource? acked = null;
        if (qos == 1)
        {
            await _window.WaitAsync(ct);
            ushort id;
            lock (_pending)
            {
                do { id = ++_nextId; } while (id == 0 || _pending.ContainsKey(id));
                acked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _pending[id] = acked;
            }
            body.AddRange([(byte)(id >> 8), (byte)id]);
        }
        body.AddRange(payload);
        await SendAsync((byte)(0x30 | (qos << 1)), body.ToArray(), ct);
        if (acked is not null) await acked.Task.WaitAsync(ct);
    }

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        var buffer = new byte[4];
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await _stream.ReadExactlyAsync(buffer.AsMemory(0, 2), ct);
                if (buffer[0] == 0x40 && buffer[1] == 2)
                {
                    await _stream.ReadExactlyAsync(buffer.AsMemory(0, 2), ct);
                    var id = BinaryPrimitives.ReadUInt16BigEndian(buffer);
                    TaskCompletionSource? done;
                    lock (_pending) _pending.Remove(id, out done);
                    done?.TrySetResult();
                    _window.Release();
                }
                else if (buffer[1] > 0) await _stream.ReadExactlyAsync(new byte[buffer[1]], ct);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
        {
            lock (_pending)
            {
                foreach (var p in _pending.Values) p.TrySetException(new IOException("connection closed before PUBACK"));
                _pending.Clear();
            }
        }
    }

    private async Task SendAsync(byte header, byte[] body, CancellationToken ct)
    {
        var packet = new List<byte>(body.Length + 5) { header };
        var length = body.Length;
        do
        {
            var digit = (byte)(length % 128);
            length /= 128;
            packet.Add(length > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (length > 0);
        packet.AddRange(body);
        await _write.WaitAsync(ct);
        try { await _stream.WriteAsync(packet.ToArray(), ct); }
        finally { _write.Release(); }
    }

    private static byte[] Str(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        return [(byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes];
    }

    public async ValueTask DisposeAsync()
    {
        try { if (_tcp.Connected) await SendAsync(0xE0, [], CancellationToken.None); }
        catch (IOException) { }
        _tcp.Dispose();
        try { await _reader; } catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
    }
}
