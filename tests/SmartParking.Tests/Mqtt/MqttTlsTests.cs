using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Sensors.Mqtt;

namespace SmartParking.Tests.Mqtt;

/// <summary>The MQTT server with a TLS listener, on a self-signed certificate made for the test.</summary>
public sealed class MqttTlsFactory : MqttFactory
{
    private const string Password = "test-pfx-password";
    private readonly string _directory = Directory.CreateTempSubdirectory("smartparking-mqtt-tls-").FullName;

    /// <summary>The server certificate in PEM, for mosquitto's --cafile.</summary>
    public string CaFile => Path.Combine(_directory, "server.pem");

    public int TlsPort => Services.GetRequiredService<MqttListeners>().Port(tls: true);

    private string PfxFile => Path.Combine(_directory, "server.pfx");

    public override async Task InitializeAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllBytesAsync(PfxFile, certificate.Export(X509ContentType.Pkcs12, Password));
        await File.WriteAllTextAsync(CaFile, certificate.ExportCertificatePem());
        await base.InitializeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Mqtt:TlsPort"] = "0";
        settings["Mqtt:CertificatePath"] = PfxFile;
        settings["Mqtt:CertificatePassword"] = Password;
    }

    protected override Task OnHostStoppedAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class MqttTlsTests(MqttTlsFactory factory) : IClassFixture<MqttTlsFactory>
{
    [Fact]
    public async Task Publish_OverTls_AcceptedAndAcknowledged()
    {
        var device = await factory.CreateDeviceAsync();

        await using var pub = Mosquitto.Pub(factory.TlsPort, device, device.Topic(), "over tls", 1, "--cafile", factory.CaFile);

        (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
        factory.Gateway.AcceptedFrom(device.Serial).ShouldHaveSingleItem().Payload.ShouldBe("over tls");
    }

    [Fact]
    public async Task Publish_PlainMqttToTheTlsPort_NeverConnects()
    {
        var device = await factory.CreateDeviceAsync();

        await using var pub = Mosquitto.Pub(factory.TlsPort, device, device.Topic(), "plain", 1);

        (await pub.ExitCodeAsync()).ShouldNotBe(0, pub.ToString());
        pub.Output.ShouldNotContain("received CONNACK");
        factory.Gateway.AcceptedFrom(device.Serial).ShouldBeEmpty();
    }

    [Fact]
    public async Task Publish_PlainPortWithTlsConfigured_StillServed()
    {
        var device = await factory.CreateDeviceAsync();

        await using var pub = Mosquitto.Pub(factory.MqttPort, device, device.Topic(), "plain", 1);

        (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
        factory.TlsPort.ShouldNotBe(factory.MqttPort);
        factory.MqttPort.ToString(CultureInfo.InvariantCulture).ShouldNotBe("0");
    }
}
