using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SmartParking.Tests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder in front of the test PostgreSQL, so a test can cut the server off from its
/// database (and reconnect it) without touching the database server that other test classes share.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<Socket, byte> _sockets = new();
    private readonly Lock _gate = new();
    private TcpListener? _listener;
    private bool _accepting;
    private CancellationTokenSource _stop = new();

    public TcpProxy(string host, int port)
    {
        _target = new IPEndPoint(Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork), port);
        // Listening at once on a port the system picks: a port chosen first and bound later can be taken in between
        // (an outgoing connection's ephemeral port), which failed a whole test class now and then.
        _listener = Listen(0);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
    }

    public int Port { get; }

    public void Start()
    {
        lock (_gate)
        {
            if (_accepting) return;
            _listener ??= Listen(Port);
            _stop = new CancellationTokenSource();
            _accepting = true;
            _ = AcceptLoopAsync(_listener, _stop.Token);
        }
    }

    private static TcpListener Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        return listener;
    }

    /// <summary>Refuses new connections and cuts every open one, like a database host that went away.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stop.Cancel();
            _listener?.Stop();
            _listener = null;
            _accepting = false;
            foreach (var socket in _sockets.Keys)
            {
                try { socket.Close(0); } catch (ObjectDisposedException) { }
                _sockets.TryRemove(socket, out _);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptSocketAsync(ct); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            _ = ForwardAsync(client, ct);
        }
    }

    private async Task ForwardAsync(Socket client, CancellationToken ct)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets[client] = 0;
        _sockets[upstream] = 0;
        try
        {
            await upstream.ConnectAsync(_target, ct);
            await Task.WhenAny(PumpAsync(client, upstream, ct), PumpAsync(upstream, client, ct));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
        finally
        {
            client.Dispose();
            upstream.Dispose();
            _sockets.TryRemove(client, out _);
            _sockets.TryRemove(upstream, out _);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (read == 0) return;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }
}
