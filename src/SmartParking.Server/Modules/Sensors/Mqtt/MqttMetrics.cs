using System.Diagnostics.Metrics;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>Why a connection ended; each has its own metric tag and log level.</summary>
internal enum MqttCloseReason
{
    /// <summary>The client sent DISCONNECT.</summary>
    ClientDisconnected,
    /// <summary>The stream ended or was reset without DISCONNECT.</summary>
    ConnectionLost,
    /// <summary>CONNACK with a refusal code was sent.</summary>
    Refused,
    ConnectTimeout,
    KeepAliveTimeout,
    ProtocolError,
    PacketTooLarge,
    /// <summary>The gateway answered TopicNotAllowed or PayloadInvalid; 3.1.1 has no negative acknowledgement.</summary>
    PublishRejected,
    /// <summary>The gateway answered Unavailable: no acknowledgement, so the device sends again after reconnecting.</summary>
    PlatformUnavailable,
    GatewayError,
    TakenOver,
    ServerShutdown,
    /// <summary>The peer did not take written bytes in time.</summary>
    WriteStalled,
    ConnectionLimit,
    InternalError,
}

/// <summary>Instruments on the "SmartParking.Mqtt" meter, which /metrics exports (it takes every "SmartParking*" meter).</summary>
internal sealed class MqttMetrics
{
    public const string MeterName = "SmartParking.Mqtt";

    // Acknowledgements wait for the database, so the interesting range is a millisecond to a few seconds.
    private static readonly double[] AckBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _closed;
    private readonly Counter<long> _publishes;
    private readonly Histogram<double> _ackDuration;
    private readonly Counter<long> _commands;

    public MqttMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _active = meter.CreateUpDownCounter<long>("smartparking.mqtt.connections.active", "{connection}",
            "Open MQTT connections, from accept to close.");
        _refused = meter.CreateCounter<long>("smartparking.mqtt.connects.refused", "{connection}",
            "Connections that never became a session, by reason.");
        _closed = meter.CreateCounter<long>("smartparking.mqtt.connections.closed", "{connection}",
            "Closed MQTT connections, by reason.");
        _publishes = meter.CreateCounter<long>("smartparking.mqtt.publishes.received", "{message}",
            "PUBLISH packets from devices, by QoS and gateway outcome.");
        _ackDuration = meter.CreateHistogram<double>("smartparking.mqtt.puback.duration", "s",
            "From a QoS 1 or 2 PUBLISH arriving to its PUBACK or PUBREC being written.", tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = AckBuckets });
        _commands = meter.CreateCounter<long>("smartparking.mqtt.commands.delivered", "{message}",
            "Command messages written to subscribed devices.");
    }

    public void ConnectionOpened() => _active.Add(1);

    public void ConnectionClosed(MqttCloseReason reason)
    {
        _active.Add(-1);
        _closed.Add(1, new KeyValuePair<string, object?>("reason", Tag(reason)));
    }

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Refused(MqttConnectReturnCode code) => Refused(code switch
    {
        MqttConnectReturnCode.UnacceptableProtocolVersion => "protocol_version",
        MqttConnectReturnCode.IdentifierRejected => "client_id",
        MqttConnectReturnCode.BadUserNameOrPassword => "bad_credentials",
        MqttConnectReturnCode.NotAuthorized => "not_authorized",
        _ => "server_unavailable",
    });

    public void PublishReceived(MqttQos qos, string outcome) => _publishes.Add(1,
        new KeyValuePair<string, object?>("qos", (int)qos), new KeyValuePair<string, object?>("outcome", outcome));

    public void Acknowledged(MqttQos qos, TimeSpan elapsed) =>
        _ackDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("qos", (int)qos));

    public void CommandsDelivered(int count)
    {
        if (count > 0) _commands.Add(count);
    }

    public static string Tag(MqttCloseReason reason) => reason switch
    {
        MqttCloseReason.ClientDisconnected => "client_disconnected",
        MqttCloseReason.ConnectionLost => "connection_lost",
        MqttCloseReason.Refused => "refused",
        MqttCloseReason.ConnectTimeout => "connect_timeout",
        MqttCloseReason.KeepAliveTimeout => "keep_alive_timeout",
        MqttCloseReason.ProtocolError => "protocol_error",
        MqttCloseReason.PacketTooLarge => "packet_too_large",
        MqttCloseReason.PublishRejected => "publish_rejected",
        MqttCloseReason.PlatformUnavailable => "platform_unavailable",
        MqttCloseReason.GatewayError => "gateway_error",
        MqttCloseReason.TakenOver => "taken_over",
        MqttCloseReason.ServerShutdown => "server_shutdown",
        MqttCloseReason.WriteStalled => "write_stalled",
        MqttCloseReason.ConnectionLimit => "connection_limit",
        _ => "internal_error",
    };
}
