using SmartParking.Server.Platform.Exports;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Payments.Receipts;

/// <summary>The receipt as a PDF: header, every charge and refund with its state, totals per currency.</summary>
public static class ReceiptPdf
{
    public static byte[] Render(Receipt receipt)
    {
        var pdf = new PdfPages($"Receipt {receipt.ReferenceId}")
            .Line("SmartParking receipt", 18, bold: true)
            .Line($"Reference: {receipt.ReferenceId}")
            .Line($"Issued: {LocalTimes.Format(receipt.IssuedAt, receipt.TimeZone)}")
            .Space(12)
            .Line("Charges", 12, bold: true);
        foreach (var c in receipt.Charges)
        {
            pdf.Line($"{Local(c.CreatedAt, receipt)}   {c.Purpose}   {Amount(c.Amount, c.Currency)}   {c.State} ({c.Provider})");
            if (!string.IsNullOrWhiteSpace(c.Description)) pdf.Line(c.Description, 9, indent: 16);
        }
        if (receipt.Refunds.Count > 0)
        {
            pdf.Space(12).Line("Refunds", 12, bold: true);
            foreach (var r in receipt.Refunds)
                pdf.Line($"{Local(r.CreatedAt, receipt)}   {Amount(r.Amount, r.Currency)}   {r.State}   {r.Reason}");
        }
        pdf.Space(12).Line("Totals", 12, bold: true);
        foreach (var t in receipt.Totals)
            pdf.Line($"Charged {Amount(t.Charged, t.Currency)}   Refunded {Amount(t.Refunded, t.Currency)}   Net {Amount(t.Net, t.Currency)}", bold: true);
        return pdf.ToBytes();
    }

    /// <summary>A line's time in the receipt's zone, which the header names once.</summary>
    private static string Local(DateTimeOffset at, Receipt receipt) =>
        LocalTimes.Convert(at, receipt.TimeZone).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    public static string Amount(decimal amount, string currency) => $"{Money.ToDecimalString(amount, currency)} {currency}";
}
