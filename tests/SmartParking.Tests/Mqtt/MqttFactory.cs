using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sensors.Mqtt;
using SmartParking.Server.Modules.Sensors.Registry;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Mqtt;

/// <summary>A device the tests created in the database, with the secret it signs in with.</summary>
public sealed record TestDevice(string Serial, string Secret)
{
    public string Topic(string subtopic = "readings") => $"parking/sensors/{Serial}/{subtopic}";

    public string CommandTopic => $"parking/sensors/{Serial}/commands";
}

/// <summary>
/// The server on a real Kestrel socket (TestServer has no sockets), with MQTT on a free port and
/// <see cref="TestMqttGateway"/> as the gateway. Limits are small so the tests reach them quickly.
/// </summary>
public class MqttFactory : ApiFactory
{
    public const int MaxPacketBytes = 8 * 1024;
    /// <summary>
    /// Time to CONNECT and authenticate. 2 s once ran out on a loaded CI box while a valid CONNECT was still being
    /// authenticated, closing a connection the test expected accepted; the one test of the timeout waits this long.
    /// </summary>
    public const int ConnectTimeoutSeconds = 5;

    private Guid _tenantId;

    protected override bool UseRealServer => true;

    public int MqttPort => Services.GetRequiredService<MqttListeners>().Port(tls: false);

    public TestMqttGateway Gateway => Services.GetRequiredService<TestMqttGateway>();

    public MqttDeviceCommands Commands => Services.GetRequiredService<MqttDeviceCommands>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _tenantId = await CreateTenantAsync("MQTT tenant");
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Mqtt:Enabled"] = "true";
        settings["Mqtt:Port"] = "0";
        settings["Mqtt:MaxPacketBytes"] = MaxPacketBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Mqtt:ConnectTimeoutSeconds"] = ConnectTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Mqtt:MaxInflight"] = "4";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // After the app's own registrations, replacing the ingest pipeline's gateway where there is one.
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IMqttDeviceGateway>();
            services.AddSingleton<TestMqttGateway>();
            services.AddSingleton<IMqttDeviceGateway>(sp => sp.GetRequiredService<TestMqttGateway>());
        });
    }

    /// <summary>A sensor row with a fresh serial and secret, as the registry API would create it.</summary>
    public async Task<TestDevice> CreateDeviceAsync()
    {
        var device = new TestDevice(Payloads.NewSerial("MQ"), DeviceCredentials.NewSecret());
        await ExecuteAsync("insert into sensors (id, tenant_id, serial, kind, secret_hash) values ($1, $2, $3, 'magnetometer', $4)",
            Guid.CreateVersion7(), _tenantId, device.Serial, DeviceCredentials.Hash(device.Secret));
        return device;
    }
}
