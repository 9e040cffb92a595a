using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SmartParking.Server.Platform.Observability;

/// <summary>
/// OpenTelemetry traces over OTLP, on only where an endpoint is configured: OpenTelemetry:OtlpEndpoint, else the
/// standard OTEL_EXPORTER_OTLP_ENDPOINT. Both name the collector's base address (e.g. http://otel-collector:4318);
/// the protocol is http/protobuf unless OpenTelemetry:OtlpProtocol or OTEL_EXPORTER_OTLP_PROTOCOL says grpc.
/// </summary>
internal static class Tracing
{
    public const string EndpointSetting = "OpenTelemetry:OtlpEndpoint";
    public const string ProtocolSetting = "OpenTelemetry:OtlpProtocol";

    public static void AddTracing(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var (endpointSetting, endpoint) = FirstSet(configuration, EndpointSetting, "OTEL_EXPORTER_OTLP_ENDPOINT");
        if (endpoint is null) return;
        var (protocolSetting, protocolName) = FirstSet(configuration, ProtocolSetting, "OTEL_EXPORTER_OTLP_PROTOCOL");
        OtlpExportProtocol? protocol = protocolName switch
        {
            null or "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            "grpc" => OtlpExportProtocol.Grpc,
            _ => null,
        };
        var problem = !Uri.TryCreate(endpoint, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https")
            ? $"{endpointSetting} must be the collector's http(s) address, such as http://otel-collector:4318 (got '{endpoint}')."
            : protocol is null ? $"{protocolSetting} must be http/protobuf or grpc (got '{protocolName}')." : null;
        if (problem is not null)
        {
            builder.Services.AddOptions<OtlpSettings>().Validate(_ => false, problem).ValidateOnStart();
            return;
        }
        // Over HTTP each signal has its own path under the base address; gRPC takes the address as it is.
        var exportUri = protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(baseUri!.AbsoluteUri.TrimEnd('/') + "/v1/traces") : baseUri!;

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] ?? "smartparking"))
            .WithTracing(tracing => tracing
                // Probes and scrapes arrive every few seconds from every replica and would drown the requests that matter.
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsInfrastructure(context.Request.Path))
                .AddHttpClientInstrumentation()
                // Npgsql reports each command on its own ActivitySource; the application's own sources share a prefix.
                .AddSource("Npgsql", ObservabilityModule.MeterName + "*")
                .AddOtlpExporter(o =>
                {
                    o.Endpoint = exportUri;
                    o.Protocol = protocol!.Value;
                }));
    }

    private static bool IsInfrastructure(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    private static (string Setting, string? Value) FirstSet(IConfiguration configuration, string setting, string standardVariable) =>
        !string.IsNullOrWhiteSpace(configuration[setting]) ? (setting, configuration[setting]!.Trim())
        : (standardVariable, string.IsNullOrWhiteSpace(configuration[standardVariable]) ? null : configuration[standardVariable]!.Trim());
}
