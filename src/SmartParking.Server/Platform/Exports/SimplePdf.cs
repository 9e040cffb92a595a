using System.Globalization;
using System.Text;

namespace SmartParking.Server.Platform.Exports;

/// <summary>
/// A minimal PDF 1.4 writer for text-only documents: A4 pages, the standard Helvetica faces (every reader has them, so
/// nothing is embedded), WinAnsi text, uncompressed content. Enough for receipts and summaries; see docs/decisions/0003-payments.md for
/// why this is not PDFsharp.
/// </summary>
public sealed class SimplePdf
{
    private const double PageWidth = 595, PageHeight = 842, Top = 790, Bottom = 60;
    private static readonly Encoding Latin1 = Encoding.Latin1;

    private readonly List<StringBuilder> _pages = [];
    private double _y = Top;

    public SimplePdf() => NewPage();

    public string Title { get; init; } = "";

    /// <summary>Writes one line and moves down; a full page continues on a new one.</summary>
    public SimplePdf Line(string text, double size = 10, bool bold = false, double x = 50, double spacing = 1.5)
    {
        if (_y < Bottom) NewPage();
        _pages[^1].Append(CultureInfo.InvariantCulture, $"BT /{(bold ? "F2" : "F1")} {size} Tf {x} {_y:0.##} Td ({Escape(text)}) Tj ET\n");
        _y -= size * spacing;
        return this;
    }

    public SimplePdf Space(double points)
    {
        _y -= points;
        return this;
    }

    public byte[] ToBytes()
    {
        // Objects: 1 catalog, 2 page tree, 3 Helvetica, 4 Helvetica-Bold, 5 info, then a page and its content per page.
        var objects = new List<string>
        {
            "<< /Type /Catalog /Pages 2 0 R >>",
            $"<< /Type /Pages /Kids [{string.Join(' ', _pages.Select((_, i) => $"{6 + 2 * i} 0 R"))}] /Count {_pages.Count} >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
            $"<< /Title ({Escape(Title)}) /Producer (SmartParking) >>",
        };
        for (var i = 0; i < _pages.Count; i++)
        {
            var content = _pages[i].ToString();
            objects.Add($"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PageWidth} {PageHeight}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {7 + 2 * i} 0 R >>");
            objects.Add($"<< /Length {WinAnsi(content).Length} >>\nstream\n{content}endstream");
        }

        using var output = new MemoryStream();
        void Write(string s) { var bytes = WinAnsi(s); output.Write(bytes, 0, bytes.Length); }
        Write("%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n");
        var offsets = new List<long>();
        for (var i = 0; i < objects.Count; i++)
        {
            offsets.Add(output.Position);
            Write($"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }
        var xref = output.Position;
        var table = new StringBuilder().Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets) table.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        Write(table.ToString());
        Write($"trailer\n<< /Size {objects.Count + 1} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return output.ToArray();
    }

    private void NewPage()
    {
        _pages.Add(new StringBuilder());
        _y = Top;
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("(", "\\(").Replace(")", "\\)").Replace("\r", "").Replace("\n", " ");

    // WinAnsi is Latin-1 except for 0x80–0x9F; the euro sign is the one that matters for money, anything else becomes '?'.
    private static byte[] WinAnsi(string s)
    {
        var bytes = new byte[s.Length];
        for (var i = 0; i < s.Length; i++)
            bytes[i] = s[i] switch
            {
                '€' => 0x80,
                var c when c < 0x80 || (c >= 0xA0 && c <= 0xFF) => (byte)c,
                _ => (byte)'?',
            };
        return bytes;
    }
}
