using System.Net;
using System.Net.Sockets;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Notifications.Webhooks;

/// <summary>The receiver's name resolved only to addresses of the platform's own network.</summary>
public sealed class PrivateHostRefusedException(string host)
    : Exception($"{host} resolves only to loopback, link-local or private addresses; webhooks go to public hosts.");

/// <summary>
/// Connects webhook requests only to public addresses. Registration already refuses private hosts by address, but a
/// name is checked only here, at connection time, so a name that resolves (or is changed to resolve) into the
/// platform's own network cannot be used to reach it.
/// </summary>
public static class PublicHostsOnly
{
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => !ContactAddresses.IsPrivate(a)).ToArray();
        if (allowed.Length == 0) throw new PrivateHostRefusedException(host);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
