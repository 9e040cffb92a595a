using Microsoft.Extensions.Configuration;
using SmartParking.Server.Modules.Sensors.Mqtt;

namespace SmartParking.Tests.Mqtt;

/// <summary>The HTTP URLs survive MQTT's own Kestrel listener (the real host is covered by the MQTT test classes, which listen on both).</summary>
public sealed class KestrelHttpEndpointsTests
{
    [Fact]
    public void HostUrls_UrlsConfigured_TakenAsTheHostWould()
    {
        var config = Config(("urls", "http://localhost:5080; https://+:5443"), ("http_ports", "8080"));

        KestrelHttpEndpoints.HostUrls(config).ShouldBe(["http://localhost:5080", "https://+:5443"]);
    }

    [Fact]
    public void HostUrls_OnlyPorts_ExpandedToAnyAddress()
    {
        var config = Config(("http_ports", "8080;8081"), ("https_ports", "8443"));

        KestrelHttpEndpoints.HostUrls(config).ShouldBe(["http://*:8080", "http://*:8081", "https://*:8443"]);
    }

    [Fact]
    public void HostUrls_NothingConfigured_KestrelsDefault() =>
        KestrelHttpEndpoints.HostUrls(Config()).ShouldBe([KestrelHttpEndpoints.KestrelDefaultUrl]);

    [Fact]
    public void MoveUrls_UrlsConfigured_BecomeKestrelEndpointsAndTheHostSeesNone()
    {
        var config = Config(("urls", "http://localhost:5080;http://127.0.0.1:5081"), ("http_ports", "8080"));

        KestrelHttpEndpoints.MoveUrlsToKestrelEndpoints(config);

        config["Kestrel:Endpoints:HostUrl0:Url"].ShouldBe("http://localhost:5080");
        config["Kestrel:Endpoints:HostUrl1:Url"].ShouldBe("http://127.0.0.1:5081");
        // The host splits "urls" on ';' and would otherwise hand Kestrel addresses that override its endpoints.
        config["urls"]!.Split(';', StringSplitOptions.RemoveEmptyEntries).ShouldBeEmpty();
        config["http_ports"].ShouldBeNullOrEmpty();
    }

    [Fact]
    public void MoveUrls_KestrelEndpointsAlreadyConfigured_NothingChanges()
    {
        var config = Config(("urls", "http://localhost:5080"), ("Kestrel:Endpoints:Api:Url", "http://0.0.0.0:9000"));

        KestrelHttpEndpoints.MoveUrlsToKestrelEndpoints(config).ShouldBeEmpty();

        config["urls"].ShouldBe("http://localhost:5080");
        config.GetSection("Kestrel:Endpoints").GetChildren().Select(c => c.Key).ShouldBe(["Api"]);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", "127.0.0.1")]
    [InlineData("http://0.0.0.0:5080", "*")]
    [InlineData("http://+:5080", "*")]
    [InlineData("http://*:5080", "*")]
    [InlineData("http://[::]:5080", "*")]
    [InlineData("http://localhost:5080", "localhost")]
    [InlineData("http://localhost:5080;http://127.0.0.1:5081", "localhost")] // all loopback
    [InlineData("http://[::1]:5080", "::1")]
    [InlineData("http://10.0.0.5:5080;http://127.0.0.1:5081", "*")] // more than one interface: all of them
    [InlineData("http://example.org:5080", "*")] // Kestrel binds a host name to every interface too
    public void HttpHost_FromTheUrls(string urls, string host) =>
        KestrelHttpEndpoints.HttpHost(Config(("urls", urls))).ShouldBe(host);

    [Fact]
    public void HttpHost_FromKestrelEndpointsWhenThoseAreConfigured() =>
        KestrelHttpEndpoints.HttpHost(Config(("urls", "http://0.0.0.0:5080"), ("Kestrel:Endpoints:Api:Url", "http://127.0.0.1:9000"))).ShouldBe("127.0.0.1");

    private static ConfigurationManager Config(params (string Key, string Value)[] values)
    {
        var config = new ConfigurationManager();
        config.AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
        return config;
    }
}
