namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>
/// The authenticated connections of this node: by client identifier (for take-over) and by device serial for
/// those subscribed to commands. Sessions are not persisted, so this holds only live connections.
/// </summary>
internal sealed class MqttSessionRegistry
{
    private readonly Lock _gate = new();
    // Keyed by device as well as client identifier: one device must not be able to cut off another by reusing its
    // client identifier. Take-over (MQTT-3.1.4-2) therefore happens only between connections of the same device.
    private readonly Dictionary<(Guid SensorId, string ClientId), MqttConnection> _byClient = [];
    private readonly Dictionary<string, List<MqttConnection>> _subscribersBySerial = new(StringComparer.Ordinal);

    public int Count
    {
        get { lock (_gate) return _byClient.Count; }
    }

    /// <summary>Adds an authenticated connection and returns the one it replaces, which the caller must close.</summary>
    public MqttConnection? Register(MqttConnection connection)
    {
        var key = Key(connection);
        lock (_gate)
        {
            _byClient.TryGetValue(key, out var previous);
            _byClient[key] = connection;
            return previous;
        }
    }

    public void Unregister(MqttConnection connection)
    {
        if (connection.Device is null) return;
        var key = Key(connection);
        lock (_gate)
        {
            // A connection that was taken over must not remove its successor.
            if (_byClient.TryGetValue(key, out var current) && ReferenceEquals(current, connection)) _byClient.Remove(key);
            RemoveSubscriber(connection);
        }
    }

    public void SetSubscribed(MqttConnection connection, bool subscribed)
    {
        var serial = connection.Device!.Serial;
        lock (_gate)
        {
            if (!subscribed)
            {
                RemoveSubscriber(connection);
                return;
            }
            if (!_subscribersBySerial.TryGetValue(serial, out var list)) _subscribersBySerial[serial] = list = [];
            if (!list.Contains(connection)) list.Add(connection);
        }
    }

    /// <summary>A snapshot, so sending never holds the lock.</summary>
    public MqttConnection[] SubscribersOf(string serial)
    {
        lock (_gate) return _subscribersBySerial.TryGetValue(serial, out var list) ? [.. list] : [];
    }

    private void RemoveSubscriber(MqttConnection connection)
    {
        var serial = connection.Device!.Serial;
        if (!_subscribersBySerial.TryGetValue(serial, out var list)) return;
        list.Remove(connection);
        if (list.Count == 0) _subscribersBySerial.Remove(serial);
    }

    private static (Guid, string) Key(MqttConnection connection) => (connection.Device!.SensorId, connection.ClientId!);
}
