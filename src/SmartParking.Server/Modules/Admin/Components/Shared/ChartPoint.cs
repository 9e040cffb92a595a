namespace SmartParking.Server.Modules.Admin.Components.Shared;

/// <summary>One point of a chart; a null value is a gap (no data), not zero.</summary>
public sealed record ChartPoint(DateTimeOffset At, double? Value);

/// <summary>A forecast point of a chart: the expected value and the band it is likely to fall in.</summary>
public sealed record ChartBandPoint(DateTimeOffset At, double Value, double Low, double High);
