using System.Globalization;
using SmartParking.Server.Platform.Exports;

namespace SmartParking.Server.Modules.Analytics;

/// <summary>The summary report as a text-only PDF: one line per lot, then totals and the sensors that are offline.</summary>
public static class SummaryPdf
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static byte[] Render(Summary s, DateTimeOffset generatedAt)
    {
        var pdf = new SimplePdf { Title = $"SmartParking summary - {s.TenantName}" };
        pdf.Line($"Summary for {s.TenantName}", 16, bold: true)
           .Line($"{s.From.ToString("yyyy-MM-dd HH:mm", Invariant)} to {s.To.ToString("yyyy-MM-dd HH:mm", Invariant)} UTC", 10)
           .Line($"Generated {generatedAt.ToString("yyyy-MM-dd HH:mm", Invariant)} UTC", 8)
           .Space(12)
           .Line("Lot  |  capacity  |  average occupancy  |  reservations  |  sessions  |  revenue (net)", 9, bold: true);
        foreach (var lot in s.Lots)
            pdf.Line($"{lot.Name}  |  {lot.Capacity}  |  {Percent(lot.AverageOccupancy)}  |  {lot.Reservations}  |  {lot.Sessions}  |  {Money(lot.Revenue)}", 9);
        if (s.Lots.Count == 0) pdf.Line("No lots.", 9);
        pdf.Space(12).Line("Totals", 12, bold: true)
           .Line($"Lots: {s.Lots.Count}   Capacity: {s.Lots.Sum(l => l.Capacity)}   Reservations: {s.Reservations}   Sessions: {s.Sessions}", 10)
           .Line($"Revenue (charges - refunds): {(s.Revenue.Count == 0 ? "none" : string.Join(", ", s.Revenue.Select(r => $"{r.Net.ToString("N2", Invariant)} {r.Currency} ({r.Charged.ToString("N2", Invariant)} charged, {r.Refunded.ToString("N2", Invariant)} refunded)")))}", 10)
           .Space(12).Line($"Sensors offline now: {s.SensorsOffline}", 12, bold: true);
        foreach (var sensor in s.OfflineSensors)
            pdf.Line($"{sensor.Serial}  {sensor.LotName ?? ""}  {sensor.SpaceLabel ?? ""}  last seen {sensor.LastSeenAt?.ToString("yyyy-MM-dd HH:mm", Invariant) ?? "never"}", 9);
        if (s.SensorsOffline > s.OfflineSensors.Count) pdf.Line($"... and {s.SensorsOffline - s.OfflineSensors.Count} more.", 9);
        return pdf.ToBytes();
    }

    private static string Percent(double? share) => share is { } v ? v.ToString("P1", Invariant) : "n/a";

    private static string Money(IReadOnlyDictionary<string, decimal> byCurrency) =>
        byCurrency.Count == 0 ? "0" : string.Join(", ", byCurrency.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Value.ToString("N2", Invariant)} {c.Key}"));
}
