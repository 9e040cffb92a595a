using SmartParking.Server.Platform.Exports;

namespace SmartParking.Server.Modules.Payments.Receipts;

/// <summary>The receipt as a PDF: header, every charge and refund with its state, totals per currency.</summary>
public static class ReceiptPdf
{
    public static byte[] Render(Receipt receipt)
    {
        var pdf = new SimplePdf { Title = $"Receipt {receipt.ReferenceId}" }
            .Line("SmartParking receipt", 18, bold: true, spacing: 1.6)
            .Line($"Reference: {receipt.ReferenceId}")
            .Line($"Issued: {receipt.IssuedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC")
            .Space(12)
            .Line("Charges", 12, bold: true);
        foreach (var c in receipt.Charges)
            pdf.Line($"{c.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm}   {c.Purpose}   {Amount(c.Amount, c.Currency)}   {c.State} ({c.Provider})");
        if (receipt.Refunds.Count > 0)
        {
            pdf.Space(12).Line("Refunds", 12, bold: true);
            foreach (var r in receipt.Refunds)
                pdf.Line($"{r.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm}   {Amount(r.Amount, r.Currency)}   {r.State}   {r.Reason}");
        }
        pdf.Space(12).Line("Totals", 12, bold: true);
        foreach (var t in receipt.Totals)
            pdf.Line($"Charged {Amount(t.Charged, t.Currency)}   Refunded {Amount(t.Refunded, t.Currency)}   Net {Amount(t.Net, t.Currency)}", bold: true);
        return pdf.ToBytes();
    }

    public static string Amount(decimal amount, string currency) => $"{Money.ToDecimalString(amount, currency)} {currency}";
}
