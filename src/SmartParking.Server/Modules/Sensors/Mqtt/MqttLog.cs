namespace SmartParking.Server.Modules.Sensors.Mqtt;

internal static partial class MqttLog
{
    [LoggerMessage(EventId = 1, EventName = "MqttConnected", Level = LogLevel.Debug,
        Message = "MQTT client {ClientId} (device {Serial}) connected from {RemoteEndPoint} on connection {ConnectionId}, keep-alive {KeepAliveSeconds} s")]
    public static partial void Connected(ILogger logger, string clientId, string serial, string remoteEndPoint, string connectionId, int keepAliveSeconds);

    /// <summary>The one line every connection ends with; the level follows the reason.</summary>
    [LoggerMessage(EventId = 2, EventName = "MqttConnectionClosed",
        Message = "MQTT connection {ConnectionId} from {RemoteEndPoint} closed ({Reason}): {Detail}; client {ClientId}, device {Serial}")]
    public static partial void Closed(ILogger logger, LogLevel level, Exception? exception, string connectionId, string remoteEndPoint,
        string reason, string detail, string clientId, string serial);

    [LoggerMessage(EventId = 3, EventName = "MqttSubscriptionRefused", Level = LogLevel.Warning,
        Message = "MQTT client {ClientId} (device {Serial}) may not subscribe to {Filters}; answered SUBACK 0x80")]
    public static partial void SubscriptionRefused(ILogger logger, string clientId, string serial, string filters);

    [LoggerMessage(EventId = 4, EventName = "MqttConnectionLimit", Level = LogLevel.Warning,
        Message = "MQTT connection {ConnectionId} from {RemoteEndPoint} closed on accept: this node already has Mqtt:MaxConnections ({MaxConnections}) connections")]
    public static partial void ConnectionLimit(ILogger logger, string connectionId, string remoteEndPoint, int maxConnections);

    [LoggerMessage(EventId = 5, EventName = "MqttConnectionFailed", Level = LogLevel.Error,
        Message = "MQTT connection {ConnectionId} could not be served")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(EventId = 6, EventName = "MqttListening", Level = LogLevel.Information, Message = "MQTT transport listening on {EndPoints}")]
    public static partial void Listening(ILogger logger, string endPoints);

    [LoggerMessage(EventId = 7, EventName = "MqttDisabled", Level = LogLevel.Information, Message = "MQTT transport disabled (Mqtt:Enabled is false)")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(EventId = 8, EventName = "MqttNotListening", Level = LogLevel.Debug,
        Message = "MQTT transport enabled but not listening: the server is not Kestrel (a test server)")]
    public static partial void NotListening(ILogger logger);
}
