namespace SmartParking.Server.Modules.Admin.Components.Shared;

/// <summary>One point of a chart; a null value is a gap (no data), not zero.</summary>
public sealed record ChartPoint(DateTimeOffset At, double? Value);
