using System.Globalization;
using PdfSharp;
using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace SmartParking.Server.Platform.Exports;

/// <summary>
/// A text document drawn with PDFsharp on A4 (portrait or landscape): lines that wrap at the margin, tables whose
/// header row repeats on every page and whose long cells wrap (up to <see cref="MaxCellLines"/> lines, then cut with
/// an ellipsis), and "Page i of n" at the foot of each page. Used for receipts, reports and table exports.
/// </summary>
public sealed class PdfPages
{
    public const int MaxCellLines = 3;
    private const double Margin = 40, FooterHeight = 24, CellPadding = 3;

    private readonly PdfDocument _document = new();
    private readonly PageOrientation _orientation;
    private XGraphics? _graphics;
    private double _y;

    public PdfPages(string title, bool landscape = false)
    {
        PdfFonts.EnsureInstalled();
        _orientation = landscape ? PageOrientation.Landscape : PageOrientation.Portrait;
        _document.Info.Title = title;
        _document.Info.Creator = "SmartParking";
        _document.Options.CompressContentStreams = true;
        NewPage();
    }

    private double Width => _document.Pages[^1].Width.Point;
    private double Bottom => _document.Pages[^1].Height.Point - Margin - FooterHeight;
    private double TextWidth => Width - 2 * Margin;

    /// <summary>Writes a paragraph, wrapped to the page width; a full page continues on the next.</summary>
    public PdfPages Line(string text, double size = 10, bool bold = false, double indent = 0)
    {
        var font = Font(size, bold);
        var height = font.GetHeight() * 1.25;
        foreach (var line in Wrap(text, font, TextWidth - indent, int.MaxValue))
        {
            if (_y + height > Bottom) NewPage();
            Graphics.DrawString(line, font, XBrushes.Black, new XRect(Margin + indent, _y, TextWidth - indent, height), XStringFormats.TopLeft);
            _y += height;
        }
        return this;
    }

    public PdfPages Space(double points)
    {
        _y += points;
        return this;
    }

    /// <summary>
    /// A table across the text width. Columns share the width in proportion to their longest text (capped, so one
    /// long column cannot squeeze the others to nothing); the header row is drawn again at the top of each new page.
    /// </summary>
    public PdfPages Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, double size = 8)
    {
        var all = rows.ToList();
        var body = Font(size, bold: false);
        var head = Font(size, bold: true);
        var widths = ColumnWidths(headers, all, body, head);
        var lineHeight = body.GetHeight() * 1.15;

        if (_y + 2 * (lineHeight + 2 * CellPadding) > Bottom) NewPage();
        DrawRow(headers, widths, head, lineHeight, shaded: true);
        foreach (var row in all)
        {
            var cells = Enumerable.Range(0, headers.Count).Select(i => Wrap(i < row.Count ? row[i] : "", body, widths[i] - 2 * CellPadding, MaxCellLines)).ToList();
            var height = cells.Max(c => c.Count) * lineHeight + 2 * CellPadding;
            if (_y + height > Bottom)
            {
                NewPage();
                DrawRow(headers, widths, head, lineHeight, shaded: true);
            }
            DrawCells(cells, widths, body, lineHeight, height, shaded: false);
        }
        return this;
    }

    public byte[] ToBytes()
    {
        _graphics?.Dispose();
        _graphics = null;
        var footer = Font(8, bold: false);
        var count = _document.PageCount;
        for (var i = 0; i < count; i++)
        {
            var page = _document.Pages[i];
            using var graphics = XGraphics.FromPdfPage(page, XGraphicsPdfPageOptions.Append);
            var text = string.Create(CultureInfo.InvariantCulture, $"Page {i + 1} of {count}");
            graphics.DrawString(text, footer, XBrushes.Gray,
                new XRect(Margin, page.Height.Point - Margin - footer.GetHeight(), page.Width.Point - 2 * Margin, footer.GetHeight()), XStringFormats.TopRight);
        }
        using var output = new MemoryStream();
        _document.Save(output, closeStream: false);
        return output.ToArray();
    }

    private XGraphics Graphics => _graphics ?? throw new InvalidOperationException("The document was already saved.");

    private void NewPage()
    {
        _graphics?.Dispose();
        var page = _document.AddPage();
        page.Size = PageSize.A4;
        page.Orientation = _orientation;
        _graphics = XGraphics.FromPdfPage(page);
        _y = Margin;
    }

    private void DrawRow(IReadOnlyList<string> texts, double[] widths, XFont font, double lineHeight, bool shaded)
    {
        var cells = texts.Select((t, i) => Wrap(t, font, widths[i] - 2 * CellPadding, MaxCellLines)).ToList();
        DrawCells(cells, widths, font, lineHeight, cells.Max(c => c.Count) * lineHeight + 2 * CellPadding, shaded);
    }

    private void DrawCells(List<List<string>> cells, double[] widths, XFont font, double lineHeight, double height, bool shaded)
    {
        var x = Margin;
        for (var i = 0; i < cells.Count; i++)
        {
            var box = new XRect(x, _y, widths[i], height);
            if (shaded) Graphics.DrawRectangle(XBrushes.Gainsboro, box);
            Graphics.DrawRectangle(XPens.LightGray, box);
            for (var line = 0; line < cells[i].Count; line++)
                Graphics.DrawString(cells[i][line], font, XBrushes.Black,
                    new XRect(x + CellPadding, _y + CellPadding + line * lineHeight, widths[i] - 2 * CellPadding, lineHeight), XStringFormats.TopLeft);
            x += widths[i];
        }
        _y += height;
    }

    /// <summary>
    /// Each column gets at least its longest word (so words break only where they must) and shares what is left in
    /// proportion to how much more its longest text wants, capped at a third of the page so one long column cannot
    /// squeeze the others. Measured on the first rows: an export of 100,000 rows must not measure every cell.
    /// </summary>
    private double[] ColumnWidths(IReadOnlyList<string> headers, List<IReadOnlyList<string>> rows, XFont body, XFont head)
    {
        var sample = rows.Take(200).ToList();
        var cap = TextWidth / 3;
        var least = new double[headers.Count];
        var wanted = new double[headers.Count];
        for (var i = 0; i < headers.Count; i++)
        {
            var texts = sample.Select(r => (Text: i < r.Count ? r[i] : "", Font: body)).Prepend((Text: headers[i], Font: head));
            foreach (var (text, font) in texts)
            {
                wanted[i] = Math.Max(wanted[i], Graphics.MeasureString(text, font).Width);
                foreach (var word in text.Split(' ', '\n'))
                    least[i] = Math.Max(least[i], Graphics.MeasureString(word, font).Width);
            }
            least[i] = Math.Min(least[i] + 2 * CellPadding, cap); // a longer word is cut by Wrap, not given more room
            wanted[i] = Math.Clamp(wanted[i] + 2 * CellPadding, least[i], cap);
        }
        var spare = TextWidth - least.Sum();
        if (spare <= 0) return least.Select(w => w * TextWidth / least.Sum()).ToArray();
        var extra = wanted.Zip(least, (w, l) => w - l).ToArray();
        var extraSum = extra.Sum();
        // Everything fits: the spare room is shared by how wide each column is; otherwise by how much more each wants.
        return extraSum <= spare
            ? wanted.Select(w => w * TextWidth / wanted.Sum()).ToArray()
            : least.Select((l, i) => l + spare * extra[i] / extraSum).ToArray();
    }

    /// <summary>The text in lines no wider than <paramref name="width"/>: broken at spaces, inside a word only when it alone is too wide; past <paramref name="maxLines"/> the last line ends in "…".</summary>
    private List<string> Wrap(string text, XFont font, double width, int maxLines)
    {
        // A cell shows a few lines at most: measuring the rest of a huge value would only cost time.
        if (maxLines < int.MaxValue && text.Length > maxLines * 400) text = text[..(maxLines * 400)];
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r", "").Split('\n'))
        {
            var current = "";
            foreach (var word in paragraph.Split(' '))
            {
                var candidate = current.Length == 0 ? word : current + " " + word;
                if (Fits(candidate, font, width)) { current = candidate; continue; }
                if (current.Length > 0) lines.Add(current);
                current = word;
                while (current.Length > 1 && !Fits(current, font, width))
                {
                    var cut = LongestFittingPrefix(current, font, width);
                    lines.Add(current[..cut]);
                    current = current[cut..];
                }
                if (lines.Count > maxLines) break;
            }
            lines.Add(current);
            if (lines.Count > maxLines) break;
        }
        if (lines.Count <= maxLines) return lines;
        lines.RemoveRange(maxLines, lines.Count - maxLines);
        var last = lines[^1];
        while (last.Length > 0 && !Fits(last + "…", font, width)) last = last[..^1];
        lines[^1] = last + "…";
        return lines;
    }

    /// <summary>At least one character, so a word wider than the column still moves on.</summary>
    private int LongestFittingPrefix(string text, XFont font, double width)
    {
        int low = 1, high = text.Length - 1;
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (Fits(text[..middle], font, width)) low = middle;
            else high = middle - 1;
        }
        return low;
    }

    private bool Fits(string text, XFont font, double width) => Graphics.MeasureString(text, font).Width <= width;

    private static XFont Font(double size, bool bold) => new(PdfFonts.Family, size, bold ? XFontStyleEx.Bold : XFontStyleEx.Regular);
}
