using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Platform.Observability;

public sealed class ObservabilityOptions
{
    public const string Section = "Observability";

    /// <summary>How often the business gauges (active reservations, sessions) are recounted from the database.</summary>
    [Range(0.05, 3600)]
    public double CountGaugeSeconds { get; set; } = 15;
}

/// <summary>
/// The OTLP settings as read at start-up. Tracing is wired while the host is built, but a bad value is reported
/// through options validation at start, like every other setting, rather than as an exception from the builder.
/// </summary>
internal sealed class OtlpSettings;
