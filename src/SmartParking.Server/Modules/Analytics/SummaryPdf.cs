using System.Globalization;
using SmartParking.Server.Platform.Exports;

namespace SmartParking.Server.Modules.Analytics;

/// <summary>The summary report as a PDF: a table of the lots, then totals and the sensors that are offline.</summary>
public static class SummaryPdf
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static byte[] Render(Summary s, DateTimeOffset generatedAt)
    {
        var pdf = new PdfPages($"SmartParking summary - {s.TenantName}", landscape: true);
        pdf.Line($"Summary for {s.TenantName}", 16, bold: true)
           .Line($"{s.From.ToString("yyyy-MM-dd HH:mm", Invariant)} to {s.To.ToString("yyyy-MM-dd HH:mm", Invariant)} UTC", 10)
           .Line($"Generated {generatedAt.ToString("yyyy-MM-dd HH:mm", Invariant)} UTC", 8)
           .Space(12);
        if (s.Lots.Count == 0) pdf.Line("No lots.", 9);
        else
            pdf.Table(["Lot", "Capacity", "Average occupancy", "Reservations", "Sessions", "Revenue (net)"],
                s.Lots.Select(lot => (IReadOnlyList<string>)[lot.Name, lot.Capacity.ToString(Invariant), Percent(lot.AverageOccupancy),
                    lot.Reservations.ToString(Invariant), lot.Sessions.ToString(Invariant), Money(lot.Revenue)]));
        pdf.Space(12).Line("Totals", 12, bold: true)
           .Line($"Lots: {s.Lots.Count}   Capacity: {s.Lots.Sum(l => l.Capacity)}   Reservations: {s.Reservations}   Sessions: {s.Sessions}", 10)
           .Line($"Revenue (charges - refunds): {(s.Revenue.Count == 0 ? "none" : string.Join(", ", s.Revenue.Select(r => $"{r.Net.ToString("N2", Invariant)} {r.Currency} ({r.Charged.ToString("N2", Invariant)} charged, {r.Refunded.ToString("N2", Invariant)} refunded)")))}", 10)
           .Space(12).Line($"Sensors offline now: {s.SensorsOffline}", 12, bold: true);
        if (s.OfflineSensors.Count > 0)
            pdf.Table(["Sensor", "Lot", "Space", "Last seen (UTC)"],
                s.OfflineSensors.Select(sensor => (IReadOnlyList<string>)[sensor.Serial, sensor.LotName ?? "", sensor.SpaceLabel ?? "",
                    sensor.LastSeenAt?.ToString("yyyy-MM-dd HH:mm", Invariant) ?? "never"]));
        if (s.SensorsOffline > s.OfflineSensors.Count) pdf.Line($"... and {s.SensorsOffline - s.OfflineSensors.Count} more.", 9);
        return pdf.ToBytes();
    }

    private static string Percent(double? share) => share is { } v ? v.ToString("P1", Invariant) : "n/a";

    private static string Money(IReadOnlyDictionary<string, decimal> byCurrency) =>
        byCurrency.Count == 0 ? "0" : string.Join(", ", byCurrency.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Value.ToString("N2", Invariant)} {c.Key}"));
}
