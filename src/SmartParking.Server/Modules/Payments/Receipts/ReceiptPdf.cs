using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;
using PdfSharp.WPFonts;

namespace SmartParking.Server.Modules.Payments.Receipts;

/// <summary>A one-page PDF receipt drawn with PDFsharp.</summary>
public static class ReceiptPdf
{
    private static readonly Lock FontLock = new();

    public static byte[] Render(Receipt receipt)
    {
        EnsureFonts();
        using var document = new PdfDocument();
        document.Info.Title = $"Receipt {receipt.ReferenceId}";
        document.Info.Creator = "SmartParking";
        // One small page: uncompressed costs little and keeps the amounts searchable with plain tools.
        document.Options.CompressContentStreams = false;
        var page = document.AddPage();
        using (var g = XGraphics.FromPdfPage(page))
        {
            var options = new XPdfFontOptions(PdfFontEncoding.WinAnsi);
            var title = new XFont(ReceiptFonts.Family, 18, XFontStyleEx.Bold, options);
            var heading = new XFont(ReceiptFonts.Family, 12, XFontStyleEx.Bold, options);
            var text = new XFont(ReceiptFonts.Family, 10, XFontStyleEx.Regular, options);
            double y = 60;
            void Line(string s, XFont font, double x = 50, double step = 16) { g.DrawString(s, font, XBrushes.Black, x, y); y += step; }

            Line("SmartParking receipt", title, step: 28);
            Line($"Reference: {receipt.ReferenceId}", text);
            Line($"Issued: {receipt.IssuedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC", text, step: 26);

            Line("Charges", heading, step: 18);
            foreach (var c in receipt.Charges)
                Line($"{c.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm}  {c.Purpose,-22} {Amount(c.Amount, c.Currency),16}  {c.State} ({c.Provider})", text);
            y += 10;
            if (receipt.Refunds.Count > 0)
            {
                Line("Refunds", heading, step: 18);
                foreach (var r in receipt.Refunds)
                    Line($"{r.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm}  {Amount(r.Amount, r.Currency),16}  {r.State}  {r.Reason}", text);
                y += 10;
            }
            Line("Totals", heading, step: 18);
            foreach (var t in receipt.Totals)
                Line($"Charged {Amount(t.Charged, t.Currency)}   Refunded {Amount(t.Refunded, t.Currency)}   Net {Amount(t.Net, t.Currency)}", text);
        }
        using var output = new MemoryStream();
        document.Save(output, false);
        return output.ToArray();
    }

    public static string Amount(decimal amount, string currency) =>
        $"{Money.ToDecimalString(amount, currency)} {currency}";

    // PDFsharp's core build finds no fonts on Linux by itself; the resolver is process-wide and may be set only once.
    private static void EnsureFonts()
    {
        if (GlobalFontSettings.FontResolver is not null) return;
        lock (FontLock)
        {
            GlobalFontSettings.FontResolver ??= new ReceiptFonts();
        }
    }

    /// <summary>Serves the Segoe WP faces shipped inside the PDFsharp package, so receipts need no system fonts.</summary>
    private sealed class ReceiptFonts : IFontResolver
    {
        public const string Family = "SmartParking Receipt";

        public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
            new(bold ? "SegoeWP-Bold" : "SegoeWP", false, italic);

        public byte[]? GetFont(string faceName) => faceName == "SegoeWP-Bold" ? FontDataHelper.SegoeWPBold : FontDataHelper.SegoeWP;
    }
}
