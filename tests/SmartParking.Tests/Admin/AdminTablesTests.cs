using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using CsvHelper;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots.Lots;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Tables;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Admin;

/// <summary>The dashboard's server-side tables over the API: paging, sorting on whitelisted columns, filters, exports.</summary>
public sealed class AdminTablesTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private async Task<(Guid Tenant, HttpClient Client)> TenantWithLotsAsync(params string[] names)
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        foreach (var name in names) await client.CreateLotAsync(Payloads.Lot(name));
        return (tenant, client);
    }

    private static List<string> Names(System.Text.Json.JsonElement page) => page.Items().Select(i => i.Str("name")).ToList();

    [Fact]
    public async Task ListLots_SortAndDirection_OrdersOnTheServer()
    {
        var (_, client) = await TenantWithLotsAsync("Charlie", "Alpha", "Bravo");

        Names(await client.GetJsonAsync("/api/v1/manage/lots?sort=name")).ShouldBe(["Alpha", "Bravo", "Charlie"]);
        Names(await client.GetJsonAsync("/api/v1/manage/lots?sort=-name")).ShouldBe(["Charlie", "Bravo", "Alpha"]);
        Names(await client.GetJsonAsync("/api/v1/manage/lots?sort=name&dir=desc")).ShouldBe(["Charlie", "Bravo", "Alpha"]);
        Names(await client.GetJsonAsync("/api/v1/manage/lots?sort=createdAt&dir=asc")).ShouldBe(["Charlie", "Alpha", "Bravo"]);
    }

    [Fact]
    public async Task ListLots_PageAndFilter_CountsEveryMatchAndReturnsOnePage()
    {
        var (_, client) = await TenantWithLotsAsync("North 1", "North 2", "North 3", "South 1");

        var page = await client.GetJsonAsync("/api/v1/manage/lots?q=north&sort=name&page=2&pageSize=2");

        Names(page).ShouldBe(["North 3"]);
        page.GetProperty("total").GetInt64().ShouldBe(3);
        page.GetProperty("page").GetInt32().ShouldBe(2);
    }

    [Theory]
    [InlineData("/api/v1/manage/lots?sort=tenant_id")]
    [InlineData("/api/v1/manage/lots?sort=name;drop table lots")]
    [InlineData("/api/v1/manage/sensors?sort=secret_hash")]
    [InlineData("/api/v1/manage/reservations?sort=driver_id")]
    [InlineData("/api/v1/manage/sessions?sort=1")]
    [InlineData("/api/v1/manage/payments?sort=idempotency_key")]
    [InlineData("/api/v1/manage/audit?sort=changes")]
    [InlineData("/api/v1/manage/users?sort=password_hash")]
    [InlineData("/api/v1/manage/exports/lots?sort=(select 1)")]
    public async Task List_UnknownSortColumn_Returns400NamingSort(string path)
    {
        using var client = factory.OperatorClient();
        await (await client.GetAsync(path)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "sort");
    }

    [Fact]
    public async Task ListSpaces_SortByLabelDescendingAndOutOfServiceFilter_ShowsStatus()
    {
        var (_, client) = await TenantWithLotsAsync();
        var lot = (await client.CreateLotAsync(Payloads.Lot("Spaces lot"))).Id();
        foreach (var label in new[] { "A1", "A2", "A10" }) await client.CreateSpaceAsync(lot, Payloads.Space(label));
        var broken = Payloads.Space("B1");
        broken["outOfService"] = true;
        await client.CreateSpaceAsync(lot, broken);

        var page = await client.GetJsonAsync($"/api/v1/manage/lots/{lot}/spaces?sort=label&dir=desc");
        page.Items().Select(s => s.Str("label")).ShouldBe(["A10", "B1", "A2", "A1"]);
        var outOfService = (await client.GetJsonAsync($"/api/v1/manage/lots/{lot}/spaces?outOfService=true")).Items();
        outOfService.Select(s => s.Str("label")).ShouldBe(["B1"]);
        outOfService[0].Str("status").ShouldBe("out_of_service");
    }

    [Fact]
    public async Task ListSensors_OfflineAndLowBatteryFilters_FollowTheHealthRules()
    {
        var (tenant, client) = await TenantWithLotsAsync();
        var lot = (await client.CreateLotAsync(Payloads.Lot("Sensor lot"))).Id();
        var fresh = (await client.CreateSensorAsync(Payloads.Sensor(Payloads.NewSerial("ON"), lotId: lot))).GetProperty("sensor").Id();
        var silent = (await client.CreateSensorAsync(Payloads.Sensor(Payloads.NewSerial("OFF"), lotId: lot))).GetProperty("sensor").Id();
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors", Payloads.Sensor(Payloads.NewSerial("NEW")))).ShouldHaveStatusAsync(HttpStatusCode.Created);
        await factory.ExecuteAsync("update sensors set last_seen_at = now(), battery_percent = 80 where id = $1", fresh);
        await factory.ExecuteAsync("update sensors set last_seen_at = now() - interval '1 hour', battery_percent = 5 where id = $1", silent);

        var offline = await client.GetJsonAsync("/api/v1/manage/sensors?offline=true");
        offline.Items().Select(s => s.Id()).ShouldBe([silent]);
        offline.Items()[0].Str("lotName").ShouldBe("Sensor lot");
        (await client.GetJsonAsync("/api/v1/manage/sensors?lowBattery=true")).Items().Select(s => s.Id()).ShouldBe([silent]);
        (await client.GetJsonAsync($"/api/v1/manage/sensors?lotId={lot}&sort=batteryPercent")).Items().Select(s => s.Id()).ShouldBe([silent, fresh]);
        (await client.GetJsonAsync("/api/v1/manage/sensors?sort=lastSeenAt&dir=desc")).Items().Select(s => s.Id()).Take(2).ShouldBe([fresh, silent]);
        (await factory.ScalarAsync<long>("select count(*) from sensors where tenant_id = $1", tenant)).ShouldBe(3);
    }

    [Fact]
    public async Task ListSessions_PlateFilterAndSort_OnlyTheTenantsSessions()
    {
        var (_, client) = await TenantWithLotsAsync();
        var lot = (await client.CreateLotAsync(Payloads.Lot("Meter lot"))).Id();
        var driver = factory.ClientFor(await factory.RegisterDriverAsync());
        await (await driver.PostAsJsonAsync("/api/v1/me/payment-methods", new { provider = "sandbox", token = "sandbox_ok" })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        foreach (var (plate, minutes) in new[] { ("AB 12 345", 30), ("CD 67 890", 90) })
            await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId = lot, plate, durationMinutes = minutes })).ShouldHaveStatusAsync(HttpStatusCode.Created);

        var byPlate = await client.GetJsonAsync("/api/v1/manage/sessions?plate=ab12345");
        byPlate.Items().Select(s => s.Str("plate")).ShouldBe(["AB12345"]);
        var byEnd = await client.GetJsonAsync("/api/v1/manage/sessions?sort=endsAt&dir=desc&status=active");
        byEnd.Items().Select(s => s.Str("plate")).ShouldBe(["CD67890", "AB12345"]);
        await (await client.GetAsync("/api/v1/manage/sessions?status=parked")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "status");
    }

    [Fact]
    public async Task ExportLots_Csv_ParsesBackToTheSortedRowsWithTheDeclaredHeaders()
    {
        var (_, client) = await TenantWithLotsAsync("Øst", "Alpha");

        var response = await client.GetAsync("/api/v1/manage/exports/lots?format=csv&sort=name&dir=desc");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentDisposition!.FileName!.Trim('"').ShouldStartWith("lots-");
        response.Content.Headers.ContentDisposition.FileName!.Trim('"').ShouldEndWith(".csv");
        var read = new List<string[]>();
        await using (var csv = CsvReader.Create(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), new CsvReaderOptions { HasHeader = false }, leaveOpen: false))
            while (await csv.ReadAsync()) read.Add(Enumerable.Range(0, csv.FieldCount).Select(i => csv.GetStringOrNull(i) ?? "").ToArray());
        read[0].ShouldBe(LotsTable.Table.Columns.Select(c => c.Header).ToArray());
        int Column(string header) => Array.IndexOf(read[0], header);
        var rows = read.Skip(1).Select(r => (r[Column("Name")], r[Column("Capacity")], r[Column("Base rate per hour")])).ToList();
        rows.ShouldBe([("Øst", "110", "25.50"), ("Alpha", "110", "25.50")]);
    }

    [Fact]
    public async Task ExportSensors_Xlsx_HoldsNumbersAsNumbersAndHonoursFilters()
    {
        var (_, client) = await TenantWithLotsAsync();
        var serial = Payloads.NewSerial("XL");
        var sensor = (await client.CreateSensorAsync(Payloads.Sensor(serial))).GetProperty("sensor").Id();
        await client.CreateSensorAsync(Payloads.Sensor(Payloads.NewSerial("XL")));
        await factory.ExecuteAsync("update sensors set battery_percent = 7 where id = $1", sensor);

        var response = await client.GetAsync("/api/v1/manage/exports/sensors?format=xlsx&lowBattery=true");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        using var document = SpreadsheetDocument.Open(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), false);
        var rows = document.WorkbookPart!.WorksheetParts.Single().Worksheet.Descendants<Row>().ToList();
        rows.Count.ShouldBe(2);
        rows[0].Elements<Cell>().Select(c => c.InnerText).ShouldContain("Battery %");
        var battery = rows[1].Elements<Cell>().ElementAt(5);
        battery.DataType!.Value.ShouldBe(CellValues.Number);
        battery.CellValue!.Text.ShouldBe("7");
        rows[1].Elements<Cell>().First().InnerText.ShouldBe(serial);
    }

    [Fact]
    public async Task ExportLots_Pdf_PagesWithTheHeaderOnEachAndLongCellsCut()
    {
        var (tenant, client) = await TenantWithLotsAsync();
        var longName = "Very long lot name " + string.Concat(Enumerable.Repeat("with ever more words ", 40)) + "END";
        await factory.ExecuteAsync("""
            insert into lots (id, tenant_id, name, kind, latitude, longitude, time_zone, base_hourly_rate, currency)
            select gen_random_uuid(), $1, 'Export lot ' || to_char(n, 'FM000'), 'off_street', 56.15, 10.21, 'Europe/Copenhagen', 20, 'DKK' from generate_series(1, 150) n
            union all select gen_random_uuid(), $1, $2, 'off_street', 56.15, 10.21, 'Europe/Copenhagen', 20, 'DKK'
            """, tenant, longName);

        var response = await client.GetAsync("/api/v1/manage/exports/lots?format=pdf&sort=name");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/pdf");
        response.Content.Headers.ContentDisposition!.FileName!.Trim('"').ShouldEndWith(".pdf");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Encoding.ASCII.GetString(bytes, 0, 4).ShouldBe("%PDF");
        var pages = SmartParking.Tests.Payments.PdfText.Pages(bytes);
        pages.ShouldBeGreaterThanOrEqualTo(3, "151 rows do not fit on two landscape pages");
        var text = SmartParking.Tests.Payments.PdfText.Extract(bytes);
        var pageTexts = text.Split('\f').Where(p => p.Trim().Length > 0).ToList();
        pageTexts.Count.ShouldBe(pages);
        pageTexts.ShouldAllBe(p => p.Contains("Capacity") && p.Contains("Time zone"), "the header row repeats on every page");
        pageTexts[^1].ShouldContain($"Page {pages} of {pages}");
        text.ShouldContain("Export lot 117");
        text.ShouldContain("Very long lot name");
        text.ShouldNotContain("END", customMessage: "a cell is cut after a few lines");
        text.ShouldContain("…");
    }

    [Fact]
    public async Task Export_UnknownTable_Returns404Problem()
    {
        using var client = factory.OperatorClient();
        await (await client.GetAsync("/api/v1/manage/exports/secrets")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Export_BadFormat_Returns400NamingFormat()
    {
        using var client = factory.OperatorClient();
        await (await client.GetAsync("/api/v1/manage/exports/lots?format=docx")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "format");
    }

    [Fact]
    public async Task ExportSpaces_WithoutLot_Returns400NamingLotId()
    {
        using var client = factory.OperatorClient();
        await (await client.GetAsync("/api/v1/manage/exports/spaces")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "lotId");
    }

    [Fact]
    public async Task AllRows_MoreRowsThanTheCap_ThrowsValidationInsteadOfCuttingTheFile()
    {
        var (tenant, _) = await TenantWithLotsAsync("One", "Two");
        var table = factory.Services.GetRequiredService<LotsTable>();
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(AppClaims.Role, Roles.Operator), new Claim(AppClaims.Tenant, tenant.ToString())], "test"));

        (await table.AllRowsAsync(user, new TableRequest(), 2, CancellationToken.None)).Count.ShouldBe(2);
        (await Should.ThrowAsync<ValidationException>(() => table.AllRowsAsync(user, new TableRequest(), 1, CancellationToken.None))).Errors.Keys.ShouldContain("rows");
    }

    [Fact]
    public async Task Tables_ListsEveryTableWithItsColumns()
    {
        using var client = factory.OperatorClient();

        var tables = (await client.GetJsonAsync("/api/v1/manage/tables")).EnumerateArray().ToDictionary(t => t.Str("name"));

        tables.Keys.ShouldBe(["alerts", "audit", "lots", "notifications", "payments", "price-history", "reservations", "sensors", "sessions", "spaces", "users"], ignoreOrder: true);
        var lotColumns = tables["lots"].GetProperty("columns").EnumerateArray().ToList();
        lotColumns.Select(c => c.Str("key")).ShouldContain("baseHourlyRate");
        lotColumns.Single(c => c.Str("key") == "baseHourlyRate").Str("kind").ShouldBe("money");
        lotColumns.Single(c => c.Str("key") == "id").GetProperty("sortable").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task Export_EverySortableColumnBothWays_Succeeds()
    {
        // Each declared sort expression is real SQL for its table's query, in both directions.
        using var client = factory.OperatorClient();
        var lot = (await client.CreateLotAsync(Payloads.Lot("Sort lot"))).Id();
        await client.CreateSpaceAsync(lot, Payloads.Space("S1"));
        var tables = await client.GetJsonAsync("/api/v1/manage/tables");
        foreach (var table in tables.EnumerateArray())
            foreach (var column in table.GetProperty("columns").EnumerateArray().Where(c => c.GetProperty("sortable").GetBoolean()))
                foreach (var dir in new[] { "asc", "desc" })
                {
                    var response = await client.GetAsync($"/api/v1/manage/exports/{table.Str("name")}?lotId={lot}&sort={column.Str("key")}&dir={dir}");
                    response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{table.Str("name")} by {column.Str("key")} {dir}: {await response.Content.ReadAsStringAsync()}");
                }
    }
}
