using System.Globalization;

namespace SmartParking.Server.Modules.Admin.Components.Shared;

/// <summary>
/// Reads a dashboard form's typed text as numbers and times. Text that does not parse is noted against its field (the
/// same keys the services name), so the page shows it like any service error and never calls the service with it.
/// </summary>
public sealed class FormInput(IDictionary<string, string[]> errors)
{
    public decimal? Number(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        errors[field] = ["must be a number (a point before the decimals)."];
        return null;
    }

    /// <summary>A local date and time in <paramref name="zone"/>, as UTC (Npgsql writes timestamptz from UTC only).</summary>
    public DateTimeOffset? Time(string? text, TimeZoneInfo zone, string field)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
        errors[field] = ["must be a date and time."];
        return null;
    }
}
