using System.Diagnostics.Metrics;

namespace SmartParking.Server.Modules.Sensors.Mqtt.ExternalBroker;

/// <summary>What became of one message from the external broker; each is a metric tag.</summary>
internal enum ExternalMessageOutcome
{
    /// <summary>Durably accepted (or a harmless duplicate); acknowledged.</summary>
    Accepted,
    /// <summary>The payload is not a reading or heartbeat, or the database refused it for good; acknowledged, since redelivery would not help.</summary>
    Invalid,
    /// <summary>No sensor has the serial in the topic; acknowledged.</summary>
    UnknownSensor,
    /// <summary>Not a <c>parking/sensors/{serial}/status|heartbeat</c> topic; acknowledged.</summary>
    TopicMismatch,
    /// <summary>The platform cannot take it now (shutting down, database away); not acknowledged, so the broker sends it again.</summary>
    Unavailable,
    /// <summary>An unexpected error, logged; acknowledged so one message cannot stop the subscription.</summary>
    Failed,
}

/// <summary>Instruments on the "SmartParking.Mqtt.ExternalBroker" meter, which /metrics exports with every "SmartParking*" meter.</summary>
internal sealed class ExternalBrokerMetrics
{
    public const string MeterName = "SmartParking.Mqtt.ExternalBroker";

    private readonly Counter<long> _messages;
    private readonly Counter<long> _connects;
    private int _connected;

    public ExternalBrokerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _messages = meter.CreateCounter<long>("smartparking.mqtt.external.messages.received", "{message}",
            "Messages from the external MQTT broker, by outcome.");
        _connects = meter.CreateCounter<long>("smartparking.mqtt.external.connects", "{connect}",
            "Attempts to connect to the external MQTT broker, by result.");
        meter.CreateObservableGauge("smartparking.mqtt.external.connected", () => Volatile.Read(ref _connected), "{connection}",
            "1 while subscribed to the external MQTT broker, else 0.");
    }

    public void Received(ExternalMessageOutcome outcome) => _messages.Add(1, new KeyValuePair<string, object?>("outcome", Tag(outcome)));

    public void ConnectAttempt(bool succeeded) => _connects.Add(1, new KeyValuePair<string, object?>("result", succeeded ? "connected" : "failed"));

    public void Connected(bool connected) => Volatile.Write(ref _connected, connected ? 1 : 0);

    public static string Tag(ExternalMessageOutcome outcome) => outcome switch
    {
        ExternalMessageOutcome.Accepted => "accepted",
        ExternalMessageOutcome.Invalid => "invalid",
        ExternalMessageOutcome.UnknownSensor => "unknown_sensor",
        ExternalMessageOutcome.TopicMismatch => "topic_mismatch",
        ExternalMessageOutcome.Unavailable => "unavailable",
        _ => "failed",
    };
}
