using System.Text;
using CsvHelper;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using SmartParking.Server.Platform.Exports;

namespace SmartParking.Tests.Exports;

public sealed class TableExportTests
{
    private sealed record Row(string Name, int Free, decimal Rate, DateTimeOffset At, bool Open, string? Note);

    private static readonly ExportColumn<Row>[] Columns =
    [
        new("Lot", r => r.Name), new("Free", r => r.Free), new("Rate", r => r.Rate), new("At", r => r.At), new("Open", r => r.Open), new("Note", r => r.Note),
    ];

    private static readonly Row[] Rows =
    [
        new("Bruuns Galleri, P-hus \"Nord\"", 12, 24.50m, new DateTimeOffset(2026, 11, 23, 21, 5, 0, TimeSpan.FromHours(1)), true, "line one\nline two"),
        new("Åboulevarden", 0, 18m, new DateTimeOffset(2026, 11, 23, 20, 0, 0, TimeSpan.Zero), false, "=HYPERLINK(\"http://evil\")"),
    ];

    [Fact]
    public async Task Csv_QuotesSeparatorsAndNewlines_ReadsBackCellForCell()
    {
        var bytes = TableExport.Csv(Rows, Columns);

        bytes.Take(3).ShouldBe(Encoding.UTF8.GetPreamble(), "a byte-order mark, so spreadsheets read UTF-8");
        var read = new List<string[]>();
        await using (var csv = CsvReader.Create(new MemoryStream(bytes), new CsvReaderOptions { HasHeader = false }, leaveOpen: false))
            while (await csv.ReadAsync()) read.Add(Enumerable.Range(0, csv.FieldCount).Select(i => csv.GetStringOrNull(i) ?? "").ToArray());
        read.Count.ShouldBe(3);
        read[0].ShouldBe(["Lot", "Free", "Rate", "At", "Open", "Note"]);
        read[1].ShouldBe(["Bruuns Galleri, P-hus \"Nord\"", "12", "24.50", "2026-11-23T20:05:00Z", "true", "line one\nline two"]);
        read[2][0].ShouldBe("Åboulevarden");
        read[2][5].ShouldBe("'=HYPERLINK(\"http://evil\")", "a formula in text is defused");
    }

    [Fact]
    public void Xlsx_NumbersStayNumbersAndTextStaysText_InANamedSheet()
    {
        var bytes = TableExport.Xlsx("Lots: now/today", Rows, Columns);

        using var document = SpreadsheetDocument.Open(new MemoryStream(bytes), isEditable: false);
        var workbook = document.WorkbookPart!;
        workbook.Workbook.Descendants<Sheet>().Single().Name!.Value.ShouldBe("Lots nowtoday");
        var rows = workbook.WorksheetParts.Single().Worksheet.Descendants<DocumentFormat.OpenXml.Spreadsheet.Row>().ToList();
        rows.Count.ShouldBe(3);
        var first = rows[1].Elements<Cell>().ToList();
        first[0].InnerText.ShouldBe("Bruuns Galleri, P-hus \"Nord\"");
        (first[1].DataType!.Value, first[1].CellValue!.Text).ShouldBe((CellValues.Number, "12"));
        (first[2].DataType!.Value, first[2].CellValue!.Text).ShouldBe((CellValues.Number, "24.50"));
        first[3].InnerText.ShouldBe("2026-11-23T20:05:00Z");
        rows[2].Elements<Cell>().Last().InnerText.ShouldBe("'=HYPERLINK(\"http://evil\")");
    }
}
