using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>Kestrel's entry point for MQTT listeners: one call per TCP (or TLS) connection, for its whole life.</summary>
internal sealed class MqttConnectionHandler : ConnectionHandler
{
    private readonly IServiceScopeFactory _scopes;
    private readonly MqttSessionRegistry _registry;
    private readonly MqttMetrics _metrics;
    private readonly MqttOptions _options;
    private readonly ILogger<MqttConnection> _logger;
    private int _open;

    public MqttConnectionHandler(IServiceScopeFactory scopes, MqttSessionRegistry registry, MqttMetrics metrics, IOptions<MqttOptions> options,
        ILogger<MqttConnection> logger)
    {
        // A missing gateway is caught at start-up by MqttStartupCheck; Kestrel creates this while the app is built,
        // which is too early to fail cleanly.
        _scopes = scopes;
        _registry = registry;
        _metrics = metrics;
        _options = options.Value;
        _logger = logger;
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        // Counted before the gauge moves, so a connection the gauge shows already holds its slot.
        var open = Interlocked.Increment(ref _open);
        _metrics.ConnectionOpened();
        var reason = MqttCloseReason.InternalError;
        try
        {
            if (open > _options.MaxConnections)
            {
                // Shedding load has to stay cheap: nothing is read, the socket is simply closed.
                reason = MqttCloseReason.ConnectionLimit;
                _metrics.Refused("connection_limit");
                MqttLog.ConnectionLimit(_logger, connection.ConnectionId, connection.RemoteEndPoint?.ToString() ?? "unknown", _options.MaxConnections);
                return;
            }
            // A scope per connection, so the gateway may be scoped as well as singleton.
            await using var scope = _scopes.CreateAsyncScope();
            var gateway = scope.ServiceProvider.GetRequiredService<IMqttDeviceGateway>();
            reason = await new MqttConnection(connection, gateway, _registry, _metrics, _options, _logger).RunAsync();
        }
        catch (Exception e)
        {
            // RunAsync never throws; this covers creating the scope and the gateway. Kestrel would log it as unhandled.
            MqttLog.ConnectionFailed(_logger, e, connection.ConnectionId);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
            _metrics.ConnectionClosed(reason);
        }
    }
}
