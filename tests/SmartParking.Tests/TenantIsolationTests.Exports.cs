using System.Net;
using System.Text;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>The dashboard's exports, reports and overview: what A's operator downloads or sees holds none of B's rows.</summary>
public sealed partial class TenantIsolationTests
{
    /// <summary>Operator reads that answer with a file rather than JSON; checked by <see cref="OperatorFile_OtherTenantsRows_NoneAppear"/>.</summary>
    public static TheoryData<string> FileReads => new()
    {
        "/api/v1/manage/reports/summary.pdf",
    };

    /// <summary>Every table's export: what A's operator downloads must hold none of B's rows.</summary>
    public static TheoryData<string> Exports => new()
    {
        "/api/v1/manage/exports/lots?tenantId={tenantB}",
        "/api/v1/manage/exports/sensors?tenantId={tenantB}",
        "/api/v1/manage/exports/reservations?tenantId={tenantB}&lotId={lotB}",
        "/api/v1/manage/exports/sessions?tenantId={tenantB}",
        "/api/v1/manage/exports/payments?tenantId={tenantB}",
        "/api/v1/manage/exports/audit?tenantId={tenantB}",
        "/api/v1/manage/exports/users?tenantId={tenantB}",
        "/api/v1/manage/exports/notifications?tenantId={tenantB}",
        "/api/v1/manage/exports/spaces?lotId={lotA}",
        "/api/v1/manage/exports/price-history?lotId={lotA}",
        "/api/v1/manage/exports/lots?format=xlsx",
        "/api/v1/manage/exports/sensors?format=pdf&tenantId={tenantB}",
        "/api/v1/manage/exports/alerts?tenantId={tenantB}",
    };

    [Theory]
    [MemberData(nameof(Exports))]
    public async Task Export_OtherTenantsRows_NoneAppear(string path)
    {
        using var client = factory.ClientFor(factory.OperatorA);

        var response = await client.GetAsync(factory.Resolve(path));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var text = await ExportText(response);
        foreach (var foreign in factory.ForeignIds)
            text.ShouldNotContain(foreign.ToString());
        text.ShouldNotContain("B's lot");
    }

    [Fact]
    public async Task Export_EveryTable_IsCheckedForForeignRows()
    {
        using var client = factory.ClientFor(factory.OperatorA);
        var tables = (await client.GetJsonAsync("/api/v1/manage/tables")).EnumerateArray().Select(t => t.Str("name")).ToList();
        var checkedTables = Exports.Cast<object[]>().Select(r => ((string)r[0]).Split('?')[0].Split('/')[^1]).ToHashSet();

        tables.Where(t => !checkedTables.Contains(t)).ShouldBeEmpty("each table needs a row in Exports");
    }

    [Theory]
    [InlineData("/api/v1/manage/exports/spaces?lotId={lotB}")]
    [InlineData("/api/v1/manage/exports/price-history?lotId={lotB}")]
    [InlineData("/api/v1/manage/exports/price-history?zoneId={zoneB}")]
    public async Task Export_OtherTenantsLot_Returns404(string path)
    {
        using var client = factory.ClientFor(factory.OperatorA);
        await (await client.GetAsync(factory.Resolve(path))).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        using var owner = factory.ClientFor(factory.OperatorB);
        (await owner.GetAsync(factory.Resolve(path))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(FileReads))]
    public async Task OperatorFile_OtherTenantsRows_NoneAppear(string path)
    {
        using var client = factory.ClientFor(factory.OperatorA);

        var response = await client.GetAsync(factory.Resolve(path));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var text = SmartParking.Tests.Payments.PdfText.Extract(await response.Content.ReadAsByteArrayAsync());
        text.ShouldContain("A's lot");
        text.ShouldNotContain("B's lot");
        text.ShouldNotContain("Tenant B");
    }

    [Theory]
    [InlineData("/api/v1/manage/reports/daily/{reportDayB}.pdf")]
    [InlineData("/api/v1/manage/reports/daily/{reportDayB}.xlsx?tenantId={tenantB}")]
    public async Task DailyReport_OtherTenantsDay_Returns404(string path)
    {
        using var client = factory.ClientFor(factory.OperatorA);
        await (await client.GetAsync(factory.Resolve(path))).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        using var owner = factory.ClientFor(factory.OperatorB);
        (await owner.GetAsync(factory.Resolve(path))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Overview_OtherTenantsLots_OnlyOwnLotsAreShown()
    {
        using var client = factory.ClientFor(factory.OperatorA);
        var lots = (await client.GetJsonAsync("/api/v1/manage/overview")).GetProperty("lots").EnumerateArray().Select(l => l.GetProperty("lotId").GetGuid()).ToList();
        lots.ShouldContain(factory.LotA);
        lots.ShouldNotContain(factory.LotB);
    }

    private static async Task<string> ExportText(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.Content.Headers.ContentType?.MediaType == "application/pdf") return SmartParking.Tests.Payments.PdfText.Extract(bytes);
        if (response.Content.Headers.ContentType?.MediaType != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            return Encoding.UTF8.GetString(bytes);
        using var document = DocumentFormat.OpenXml.Packaging.SpreadsheetDocument.Open(new MemoryStream(bytes), false);
        return document.WorkbookPart!.WorksheetParts.Single().Worksheet.InnerText;
    }
}
