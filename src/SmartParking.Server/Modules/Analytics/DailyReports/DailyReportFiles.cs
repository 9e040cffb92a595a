using System.Globalization;
using SmartParking.Server.Platform.Exports;

namespace SmartParking.Server.Modules.Analytics.DailyReports;

/// <summary>
/// A daily report as a PDF to read and as a workbook to work with. Both carry the same figures; the workbook keeps
/// shares as fractions and money as numbers so a spreadsheet can sum them, the PDF shows them as percent and text.
/// Times are the tenant's local times.
/// </summary>
public static class DailyReportFiles
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string FileName(DateOnly date, string extension) => $"daily-report-{date.ToString("yyyy-MM-dd", Invariant)}.{extension}";

    public static byte[] Pdf(DailyReport r)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(r.TimeZone);
        var pdf = new PdfPages($"Daily report {r.Date.ToString("yyyy-MM-dd", Invariant)} - {r.TenantName}", landscape: true)
            .Line($"Daily report for {r.TenantName}", 16, bold: true)
            .Line($"{r.Date.ToString("dddd d MMMM yyyy", Invariant)} ({r.TimeZone}); generated {Local(r.GeneratedAt, zone)}", 9)
            .Space(10)
            .Line($"Reservations: {r.Reservations}   Sessions: {r.Sessions}   Revenue (net of refunds): {Money(r.Revenue)}", 11, bold: true)
            .Line($"Alerts raised: {r.AlertsRaised}   Alerts resolved: {r.AlertsResolved}", 11, bold: true)
            .Space(10)
            .Line("Lots", 12, bold: true);
        if (r.Lots.Count == 0) pdf.Line("No lots.", 9);
        else
            pdf.Table(["Lot", "Spaces", "Mean occupancy", "Peak occupancy", "Reservations", "Sessions", "Revenue (net)"],
                r.Lots.Select(l => (IReadOnlyList<string>)[l.Name, Number(l.Spaces), Percent(l.MeanOccupancy), Percent(l.PeakOccupancy),
                    Number(l.Reservations), Number(l.Sessions), Money(l.Revenue.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new CurrencyNet(c.Key, c.Value)))]));
        pdf.Space(10).Line("Alerts", 12, bold: true);
        if (r.Alerts.Count == 0) pdf.Line("No alerts were raised or resolved.", 9);
        else pdf.Table(["Kind", "Raised", "Resolved"], r.Alerts.Select(a => (IReadOnlyList<string>)[a.Kind, Number(a.Raised), Number(a.Resolved)]));
        pdf.Space(10).Line($"Forecast for today, {r.Date.AddDays(1).ToString("yyyy-MM-dd", Invariant)}", 12, bold: true);
        if (!r.HasForecast) pdf.Line("No forecast yet.", 9);
        else
            pdf.Table(["Lot", "Expected mean", "Expected peak", "Peak at", "Band at the peak"],
                r.Lots.Where(l => l.Forecast is { Count: > 0 }).Select(l =>
                {
                    var peak = l.Forecast!.MaxBy(p => p.Occupancy)!;
                    return (IReadOnlyList<string>)[l.Name, Percent(l.Forecast!.Average(p => p.Occupancy)), Percent(peak.Occupancy),
                        TimeZoneInfo.ConvertTime(peak.Hour, zone).ToString("HH:mm", Invariant), $"{Percent(peak.Low)} - {Percent(peak.High)}"];
                }));
        return pdf.ToBytes();
    }

    public static byte[] Xlsx(DailyReport r)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(r.TimeZone);
        var currencies = r.Lots.SelectMany(l => l.Revenue.Keys).Concat(r.Revenue.Select(c => c.Currency)).Distinct().Order(StringComparer.Ordinal).ToList();
        object?[] SummaryRow(string field, object? value) => [field, value];
        return TableExport.Xlsx([
            new XlsxSheet("Summary", ["Field", "Value"],
            [
                SummaryRow("Tenant", r.TenantName),
                SummaryRow("Date", r.Date.ToString("yyyy-MM-dd", Invariant)),
                SummaryRow("Time zone", r.TimeZone),
                SummaryRow("Generated", Local(r.GeneratedAt, zone)),
                SummaryRow("Reservations", r.Reservations),
                SummaryRow("Sessions", r.Sessions),
                SummaryRow("Alerts raised", r.AlertsRaised),
                SummaryRow("Alerts resolved", r.AlertsResolved),
                .. r.Revenue.Select(c => SummaryRow($"Revenue net {c.Currency}", c.Net)),
            ]),
            new XlsxSheet("Lots", ["Lot", "Lot id", "Spaces", "Mean occupancy", "Peak occupancy", "Occupancy source", "Reservations", "Sessions", .. currencies.Select(c => $"Revenue net {c}")],
                r.Lots.Select(l => (IReadOnlyList<object?>)[l.Name, l.LotId.ToString(), l.Spaces, l.MeanOccupancy, l.PeakOccupancy, l.OccupancySource, l.Reservations, l.Sessions,
                    .. currencies.Select(c => (object?)l.Revenue.GetValueOrDefault(c))])),
            new XlsxSheet("Alerts", ["Kind", "Raised", "Resolved"], r.Alerts.Select(a => (IReadOnlyList<object?>)[a.Kind, a.Raised, a.Resolved])),
            new XlsxSheet("Forecast", ["Lot", "Hour", "Occupancy", "Low", "High"],
                r.Lots.Where(l => l.Forecast is not null).SelectMany(l => l.Forecast!.Select(p => (IReadOnlyList<object?>)[l.Name,
                    TimeZoneInfo.ConvertTime(p.Hour, zone).ToString("yyyy-MM-dd HH:mm", Invariant), p.Occupancy, p.Low, p.High]))),
        ]);
    }

    /// <summary>The e-mail's short text: the day's headline figures.</summary>
    public static string Summary(DailyReport r) =>
        $"Yesterday: {r.Reservations} reservations, {r.Sessions} sessions, revenue {Money(r.Revenue)} (net of refunds); " +
        $"{r.AlertsRaised} alerts raised, {r.AlertsResolved} resolved." + (r.HasForecast ? "" : " No forecast for today yet.");

    private static string Local(DateTimeOffset at, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd HH:mm", Invariant);

    private static string Number(int n) => n.ToString(Invariant);

    private static string Percent(double? share) => share is { } v ? v.ToString("P1", Invariant) : "n/a";

    private static string Money(IEnumerable<CurrencyNet> totals)
    {
        var list = totals.ToList();
        return list.Count == 0 ? "0" : string.Join(", ", list.Select(c => $"{c.Net.ToString("N2", Invariant)} {c.Currency}"));
    }
}
