using System.Globalization;
using System.Text;
using CsvHelper;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace SmartParking.Server.Platform.Exports;

/// <summary>One column of an exported table: its header and how a row gives its value.</summary>
public sealed record ExportColumn<T>(string Header, Func<T, object?> Value);

/// <summary>One sheet of a workbook: its name, header row and rows of values.</summary>
public sealed record XlsxSheet(string Name, IReadOnlyList<string> Headers, IEnumerable<IReadOnlyList<object?>> Rows);

/// <summary>
/// Any table the dashboard shows, as CSV, XLSX or PDF. Numbers stay numbers (a spreadsheet can sum them); instants are
/// written as ISO 8601 UTC so they read the same everywhere; text that a spreadsheet would run as a formula is defused.
/// </summary>
public static class TableExport
{
    public const string CsvType = "text/csv; charset=utf-8";
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    public const string PdfType = "application/pdf";

    public static byte[] Csv<T>(IEnumerable<T> rows, IReadOnlyList<ExportColumn<T>> columns)
    {
        using var output = new MemoryStream();
        // A byte-order mark so Excel opens UTF-8 (æ, ø, å) as UTF-8.
        using (var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true)))
        using (var csv = CsvWriter.Create(writer, new CsvWriterOptions(), leaveOpen: true))
        {
            foreach (var column in columns) csv.WriteField(column.Header);
            csv.EndRecord();
            foreach (var row in rows)
            {
                foreach (var column in columns) csv.WriteField(Text(column.Value(row)));
                csv.EndRecord();
            }
        }
        return output.ToArray();
    }

    public static byte[] Xlsx<T>(string sheetName, IEnumerable<T> rows, IReadOnlyList<ExportColumn<T>> columns) =>
        Xlsx([new XlsxSheet(sheetName, [.. columns.Select(c => c.Header)], rows.Select(r => (IReadOnlyList<object?>)[.. columns.Select(c => c.Value(r))]))]);

    /// <summary>A workbook of several sheets, in order: each a header row, then its rows (numbers as numbers).</summary>
    public static byte[] Xlsx(IReadOnlyList<XlsxSheet> sheets)
    {
        using var output = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(output, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var list = workbook.Workbook.AppendChild(new Sheets());
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var sheet in sheets)
            {
                var sheetPart = workbook.AddNewPart<WorksheetPart>();
                var data = new SheetData();
                data.AppendChild(new Row(sheet.Headers.Select(TextCell)));
                foreach (var row in sheet.Rows) data.AppendChild(new Row(row.Select(Cell)));
                sheetPart.Worksheet = new Worksheet(data);
                // Sheet names are at most 31 characters, may not hold []:*?/\ and must differ within a workbook.
                var name = new string(sheet.Name.Where(ch => !"[]:*?/\\".Contains(ch)).Take(31).ToArray());
                if (name.Length == 0) name = "Export";
                for (var n = 2; !names.Add(name); n++) name = $"{name[..Math.Min(name.Length, 27)]} ({n})";
                list.AppendChild(new Sheet { Id = workbook.GetIdOfPart(sheetPart), SheetId = (uint)names.Count, Name = name });
            }
            workbook.Workbook.Save();
        }
        return output.ToArray();
    }

    /// <summary>
    /// The table as landscape A4 pages: a title, then a table whose header row repeats on every page; long cells wrap
    /// and are cut after a few lines; pages are numbered.
    /// </summary>
    public static byte[] Pdf<T>(string title, IEnumerable<T> rows, IReadOnlyList<ExportColumn<T>> columns, DateTimeOffset generatedAt) =>
        new PdfPages(title, landscape: true)
            .Line(title, 14, bold: true)
            .Line($"Exported {generatedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC", 8)
            .Space(8)
            .Table([.. columns.Select(c => c.Header)], rows.Select(r => (IReadOnlyList<string>)[.. columns.Select(c => PdfText(c.Value(r)))]))
            .ToBytes();

    // A PDF is read, not recalculated: no formula defusing, and instants keep the ISO form the other formats use.
    private static string PdfText(object? value) => value is string s ? s : Text(value);

    private static Cell Cell(object? value) => value switch
    {
        null => new Cell(),
        int or long or short or decimal or double or float => new Cell
        {
            DataType = CellValues.Number,
            CellValue = new CellValue(Convert.ToString(value, CultureInfo.InvariantCulture)!),
        },
        _ => TextCell(Text(value)),
    };

    private static Cell TextCell(string text) => new() { DataType = CellValues.InlineString, InlineString = new InlineString(new Text(text)) };

    private static string Text(object? value)
    {
        var text = value switch
        {
            null => "",
            DateTimeOffset at => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            DateTime at => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        // OWASP CSV injection: a cell starting with these runs as a formula in a spreadsheet; a leading quote keeps it text.
        return text.Length > 0 && value is string && "=+-@\t\r".Contains(text[0]) ? "'" + text : text;
    }
}
