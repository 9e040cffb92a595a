using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Sensors.Mqtt;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Mqtt;

/// <summary>Configurations that must stop the host from starting rather than fail devices later.</summary>
public sealed class MqttStartupTests
{
    [Fact]
    public async Task Start_MqttEnabledWithoutAGateway_FailsNamingTheMissingGateway()
    {
        var factory = new MqttServerFactory(new Dictionary<string, string?>());
        try
        {
            var error = await Should.ThrowAsync<InvalidOperationException>(factory.InitializeAsync);

            error.Message.ShouldContain(nameof(IMqttDeviceGateway));
            error.Message.ShouldContain("Mqtt:Enabled");
        }
        finally
        {
            await ((IAsyncLifetime)factory).DisposeAsync();
        }
    }

    [Theory]
    [InlineData("Mqtt:MaxPacketBytes", "10")]
    [InlineData("Mqtt:MaxPacketBytes", "2000000")]
    [InlineData("Mqtt:Port", "70000")]
    [InlineData("Mqtt:MaxInflight", "0")]
    [InlineData("Mqtt:Host", "example.org")]
    public async Task Start_InvalidMqttOption_FailsNamingTheOption(string key, string value)
    {
        var factory = new MqttServerFactory(new Dictionary<string, string?> { [key] = value });
        try
        {
            var error = await Should.ThrowAsync<OptionsValidationException>(factory.InitializeAsync);

            error.Message.ShouldContain(key.Split(':')[1]);
        }
        finally
        {
            await ((IAsyncLifetime)factory).DisposeAsync();
        }
    }

    [Fact]
    public async Task Start_TlsCertificateThatDoesNotLoad_FailsNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.pfx");
        var factory = new MqttServerFactory(new Dictionary<string, string?> { ["Mqtt:CertificatePath"] = path, ["Mqtt:TlsPort"] = "0" }, withGateway: true);
        try
        {
            var error = await Should.ThrowAsync<InvalidOperationException>(factory.InitializeAsync);

            error.Message.ShouldContain("Mqtt:CertificatePath");
            error.Message.ShouldContain(path);
        }
        finally
        {
            await ((IAsyncLifetime)factory).DisposeAsync();
        }
    }

    [Theory]
    [InlineData(null, "127.0.0.1")] // the host of the HTTP URL (ApiFactory's http://127.0.0.1:0)
    [InlineData("0.0.0.0", "0.0.0.0")] // Mqtt:Host overrides it
    public async Task Start_MqttListener_BindsTheHttpHostUnlessMqttHostIsSet(string? mqttHost, string bound)
    {
        var settings = new Dictionary<string, string?>();
        if (mqttHost is not null) settings["Mqtt:Host"] = mqttHost;
        var factory = new MqttServerFactory(settings, withGateway: true);
        try
        {
            await factory.InitializeAsync();

            factory.Services.GetRequiredService<MqttListeners>().EndPoints.Select(e => e.EndPoint.Address.ToString()).ShouldBe([bound]);
        }
        finally
        {
            await ((IAsyncLifetime)factory).DisposeAsync();
        }
    }

    /// <summary>A real Kestrel host with MQTT on and, unless asked, no gateway at all.</summary>
    private sealed class MqttServerFactory(IDictionary<string, string?> extra, bool withGateway = false) : ApiFactory
    {
        protected override bool UseRealServer => true;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                // Production registers the ingest pipeline's gateway; this host has none, or only the test one.
                services.RemoveAll<IMqttDeviceGateway>();
                if (withGateway) services.AddSingleton<IMqttDeviceGateway, TestMqttGateway>();
            });
        }

        protected override void ConfigureSettings(IDictionary<string, string?> settings)
        {
            settings["Mqtt:Enabled"] = "true";
            settings["Mqtt:Port"] = "0";
            foreach (var (key, value) in extra) settings[key] = value;
        }
    }
}
