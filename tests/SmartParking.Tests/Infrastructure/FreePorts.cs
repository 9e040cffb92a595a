using System.Net;
using System.Net.Sockets;

namespace SmartParking.Tests.Infrastructure;

/// <summary>Loopback ports free when asked: the system picks them, and ports asked for together are distinct.</summary>
public static class FreePorts
{
    public static int One() => Many(1)[0];

    public static int[] Many(int count)
    {
        // All are held until the last is found, so the system cannot hand out one port twice.
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners) listener.Start();
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }
}
