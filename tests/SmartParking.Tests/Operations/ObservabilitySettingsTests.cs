using Microsoft.Extensions.Options;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Operations;

public sealed class ObservabilitySettingsTests
{
    [Theory]
    [InlineData("OpenTelemetry:OtlpEndpoint", "otel-collector:4318", "OpenTelemetry:OtlpEndpoint must be the collector's http(s) address")]
    [InlineData("OpenTelemetry:OtlpEndpoint", "ftp://collector", "OpenTelemetry:OtlpEndpoint must be the collector's http(s) address")]
    [InlineData("OpenTelemetry:OtlpProtocol", "thrift", "OpenTelemetry:OtlpProtocol must be http/protobuf or grpc")]
    [InlineData("Observability:CountGaugeSeconds", "0", "CountGaugeSeconds")]
    public async Task Start_InvalidSetting_FailsNamingTheSetting(string key, string value, string message)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key == "OpenTelemetry:OtlpProtocol") settings["OpenTelemetry:OtlpEndpoint"] = "http://127.0.0.1:4318";
        var factory = new SettingsFactory(settings);
        try
        {
            var error = await Should.ThrowAsync<OptionsValidationException>(factory.InitializeAsync);

            error.Message.ShouldContain(message);
        }
        finally
        {
            await ((IAsyncLifetime)factory).DisposeAsync();
        }
    }

    private sealed class SettingsFactory(IDictionary<string, string?> extra) : ApiFactory
    {
        protected override void ConfigureSettings(IDictionary<string, string?> settings)
        {
            foreach (var (key, value) in extra) settings[key] = value;
        }
    }
}
