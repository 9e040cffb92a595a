using System.Globalization;
using System.Text;
using CsvHelper;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace SmartParking.Server.Platform.Exports;

/// <summary>One column of an exported table: its header and how a row gives its value.</summary>
public sealed record ExportColumn<T>(string Header, Func<T, object?> Value);

/// <summary>
/// Any table the dashboard shows, as CSV or XLSX. Numbers stay numbers (a spreadsheet can sum them); instants are
/// written as ISO 8601 UTC so they read the same everywhere; text that a spreadsheet would run as a formula is defused.
/// </summary>
public static class TableExport
{
    public const string CsvType = "text/csv; charset=utf-8";
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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

    public static byte[] Xlsx<T>(string sheetName, IEnumerable<T> rows, IReadOnlyList<ExportColumn<T>> columns)
    {
        using var output = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(output, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var sheetPart = workbook.AddNewPart<WorksheetPart>();
            var data = new SheetData();
            data.AppendChild(new Row(columns.Select(c => TextCell(c.Header))));
            foreach (var row in rows) data.AppendChild(new Row(columns.Select(c => Cell(c.Value(row)))));
            sheetPart.Worksheet = new Worksheet(data);
            var sheets = workbook.Workbook.AppendChild(new Sheets());
            // Sheet names are at most 31 characters and may not hold []:*?/\ .
            var name = new string(sheetName.Where(ch => !"[]:*?/\\".Contains(ch)).Take(31).ToArray());
            sheets.AppendChild(new Sheet { Id = workbook.GetIdOfPart(sheetPart), SheetId = 1, Name = name.Length == 0 ? "Export" : name });
            workbook.Workbook.Save();
        }
        return output.ToArray();
    }

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
