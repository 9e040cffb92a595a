using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

namespace SmartParking.Tests.Mqtt;

/// <summary>
/// A bare TCP client for what real clients will not do (garbage, oversize headers, silence, duplicate CONNECTs).
/// Packets are built by hand here, independently of the server's encoder; answers are decoded with the server's
/// reader, which the unit tests cover on its own.
/// </summary>
internal sealed class RawMqttClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private byte[] _pending = [];

    private RawMqttClient(Socket socket) => _socket = socket;

    public static async Task<RawMqttClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return new RawMqttClient(socket);
    }

    /// <summary>Opens a connection and completes the CONNECT / CONNACK exchange as the device.</summary>
    public static async Task<RawMqttClient> SignInAsync(int port, TestDevice device, string clientId, ushort keepAliveSeconds = 60)
    {
        var client = await ConnectAsync(port);
        await client.SendAsync(Connect(clientId, device.Serial, device.Secret, keepAliveSeconds));
        var ack = (await client.ReceiveAsync()).ShouldBeOfType<MqttConnAck>();
        ack.ReturnCode.ShouldBe(MqttConnectReturnCode.Accepted);
        return client;
    }

    public async Task SendAsync(params byte[][] packets)
    {
        foreach (var packet in packets) await _socket.SendAsync(packet, SocketFlags.None);
    }

    /// <summary>The next packet from the server; fails when the connection closes or nothing comes in time.</summary>
    public async Task<MqttPacket> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            var result = MqttPacketReader.TryRead(new ReadOnlySequence<byte>(_pending), int.MaxValue);
            if (result.Status == MqttReadStatus.Invalid) throw new InvalidOperationException($"The server sent an invalid packet: {result.Error}");
            if (result.Status == MqttReadStatus.Packet)
            {
                _pending = new ReadOnlySequence<byte>(_pending).Slice(result.Consumed).ToArray();
                return result.Packet!;
            }
            var read = await _socket.ReceiveAsync(_receiveBuffer, SocketFlags.None, deadline.Token);
            if (read == 0) throw new InvalidOperationException("The server closed the connection instead of answering.");
            _pending = [.. _pending, .. _receiveBuffer.AsSpan(0, read)];
        }
    }

    /// <summary>
    /// Waits until the server closes the connection (end of stream or reset), discarding anything it sends first.
    /// Fails if it is still open at the deadline.
    /// </summary>
    public async Task WaitUntilClosedAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            while (await _socket.ReceiveAsync(_receiveBuffer, SocketFlags.None, deadline.Token) > 0) { }
        }
        catch (SocketException)
        {
            // Reset: closed as well (the server closed with unread input left).
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The server kept the connection open for {timeout ?? DefaultTimeout}.");
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    // ---- packets, built by hand from the 3.1.1 specification --------------------------------------------------

    public static byte[] Connect(string clientId, string? userName, string? password, ushort keepAliveSeconds = 60, bool cleanSession = true,
        string protocolName = "MQTT", byte protocolLevel = 4)
    {
        var flags = (byte)((cleanSession ? 0x02 : 0) | (userName is null ? 0 : 0x80) | (password is null ? 0 : 0x40));
        var body = new List<byte>();
        body.AddRange(Str(protocolName));
        body.Add(protocolLevel);
        body.Add(flags);
        body.Add((byte)(keepAliveSeconds >> 8));
        body.Add((byte)keepAliveSeconds);
        body.AddRange(Str(clientId));
        if (userName is not null) body.AddRange(Str(userName));
        if (password is not null) body.AddRange(Str(password));
        return Packet(0x10, body);
    }

    public static byte[] Publish(string topic, string payload, int qos = 0, ushort packetId = 0, bool duplicate = false)
    {
        var body = new List<byte>(Str(topic));
        if (qos > 0)
        {
            body.Add((byte)(packetId >> 8));
            body.Add((byte)packetId);
        }
        body.AddRange(Encoding.UTF8.GetBytes(payload));
        return Packet((byte)(0x30 | (duplicate ? 0x08 : 0) | (qos << 1)), body);
    }

    public static byte[] Subscribe(ushort packetId, params string[] filters)
    {
        var body = new List<byte> { (byte)(packetId >> 8), (byte)packetId };
        foreach (var filter in filters)
        {
            body.AddRange(Str(filter));
            body.Add(1);
        }
        return Packet(0x82, body);
    }

    public static byte[] PubRel(ushort packetId) => [0x62, 0x02, (byte)(packetId >> 8), (byte)packetId];

    public static byte[] PingReq() => [0xC0, 0x00];

    public static byte[] Disconnect() => [0xE0, 0x00];

    /// <summary>A fixed header and body; the remaining length is encoded here, independently of the server's writer.</summary>
    public static byte[] Packet(byte firstByte, IReadOnlyCollection<byte> body)
    {
        var header = new List<byte> { firstByte };
        var length = body.Count;
        do
        {
            var digit = (byte)(length % 128);
            length /= 128;
            header.Add(length > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (length > 0);
        return [.. header, .. body];
    }

    /// <summary>A length-prefixed string; <paramref name="raw"/> bytes go in unchecked (for invalid UTF-8).</summary>
    public static byte[] Str(string value) => Bytes(Encoding.UTF8.GetBytes(value));

    public static byte[] Bytes(byte[] raw) => [(byte)(raw.Length >> 8), (byte)raw.Length, .. raw];
}
