using System.Collections.Concurrent;
using System.Text;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Modules.Sensors.Mqtt;
using SmartParking.Server.Modules.Sensors.Registry;

namespace SmartParking.Tests.Mqtt;

/// <summary>
/// The gateway the MQTT tests plug in where production has the ingest pipeline. It authenticates through the real
/// <see cref="SensorDirectory"/> against the test database, accepts publishes to the device's own topics, and
/// records what it accepted. A device's publishes can be held at the gateway to prove that PUBACK waits for acceptance.
/// </summary>
public sealed class TestMqttGateway(SensorDirectory directory) : IMqttDeviceGateway
{
    /// <summary>A payload the gateway answers PayloadInvalid to.</summary>
    public const string InvalidPayload = "not-a-reading";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ConcurrentQueue<Accepted> _accepted = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _holds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _waiting = new(StringComparer.Ordinal);

    public sealed record Accepted(DeviceIdentity Device, string Topic, string Payload);

    public async Task<DeviceIdentity?> AuthenticateAsync(string clientId, string? username, ReadOnlyMemory<byte> password, CancellationToken ct)
    {
        if (username is null) return null;
        string secret;
        try { secret = StrictUtf8.GetString(password.Span); }
        catch (DecoderFallbackException) { return null; }
        return await directory.VerifyAsync(username, secret, ct) is { } s ? new DeviceIdentity(s.SensorId, s.TenantId, s.Serial, s.SpaceId, s.LotId) : null;
    }

    public async Task<DeviceIdentity?> FindDeviceAsync(string serial, CancellationToken ct) =>
        await directory.FindAsync(serial, ct) is { } s ? new DeviceIdentity(s.SensorId, s.TenantId, s.Serial, s.SpaceId, s.LotId) : null;

    public async ValueTask<MqttPublishResult> PublishAsync(DeviceIdentity device, string topic, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        // Roughly what the pipeline will rule: a device publishes below its own topic, with a payload it can read.
        if (!topic.StartsWith($"parking/sensors/{device.Serial}/", StringComparison.Ordinal))
            return new MqttPublishResult(MqttPublishOutcome.TopicNotAllowed, "not this device's topic");
        var text = Encoding.UTF8.GetString(payload.Span);
        if (text == InvalidPayload) return new MqttPublishResult(MqttPublishOutcome.PayloadInvalid, "unreadable payload");

        if (_holds.TryGetValue(device.Serial, out var hold))
        {
            _waiting.AddOrUpdate(device.Serial, 1, (_, n) => n + 1);
            try { await hold.Task.WaitAsync(ct); }
            finally { _waiting.AddOrUpdate(device.Serial, 0, (_, n) => n - 1); }
        }
        _accepted.Enqueue(new Accepted(device, topic, text));
        return MqttPublishResult.Accepted;
    }

    public IReadOnlyList<Accepted> AcceptedFrom(string serial) => _accepted.Where(a => a.Device.Serial == serial).ToList();

    /// <summary>Publishes of this device wait at the gateway until the returned handle is released.</summary>
    public Hold HoldPublishes(string serial)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _holds[serial] = gate;
        return new Hold(() =>
        {
            _holds.TryRemove(serial, out _);
            gate.TrySetResult();
        });
    }

    /// <summary>How many publishes of this device are waiting at a hold right now.</summary>
    public int WaitingAt(string serial) => _waiting.GetValueOrDefault(serial);

    public sealed class Hold(Action release) : IDisposable
    {
        public void Release() => release();

        public void Dispose() => release();
    }
}
