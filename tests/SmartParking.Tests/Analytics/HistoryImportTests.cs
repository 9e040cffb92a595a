using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SmartParking.Server.Modules.Analytics.Forecasting;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Web;

namespace SmartParking.Tests.Analytics;

public sealed class HistoryImportFactory : ManageFactory
{
    /// <summary>Above the Aarhus file (3.7 MB), small enough that the over-limit tests stay quick.</summary>
    public const int ImportMaxBytes = 5_000_000;

    protected override void ConfigureSettings(IDictionary<string, string?> settings) =>
        settings["Analytics:ImportMaxBytes"] = ImportMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// POST /api/v1/manage/analytics/history: each kind of messy data with hand-counted rows, local times across both
/// daylight-saving changes, lots by name and id within the tenant only, live hours left alone, re-imports, a failure
/// midway, and the bad input that refuses a whole file. Each test has a tenant of its own.
/// </summary>
public sealed class HistoryImportTests(HistoryImportFactory factory) : IClassFixture<HistoryImportFactory>
{
    private const string Url = "/api/v1/manage/analytics/history";

    [Fact]
    public async Task MessyRows_AreKeptClippedOrDropped_ByRule_AndCounted()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        var lotId = (await client.CreateLotAsync(Payloads.Lot("North Garage"))).Id();
        // Line 1 is the header; the comment after each row says what happens to it.
        var report = await ImportAsync(client, """
            lot,capacity,occupied,observed_at,note
            North Garage,10,4,2024-03-04T10:00:00Z,kept
            north garage,10,6,2024-03-04T10:30:00Z,kept (name ignores case)
            NORTH GARAGE,10,9,2024-03-04T10:30:00Z,duplicate of row 3: the first row wins
            North Garage,10,12,2024-03-04T11:15:00Z,clipped to 10
            North Garage,10,-2,2024-03-04T11:20:00Z,dropped: below zero
            North Garage,0,3,2024-03-04T11:25:00Z,dropped: no capacity
            North Garage,10,five,2024-03-04T11:40:00Z,unreadable occupied
              North Garage  ,10,2,2024-03-04T11:45:00Z,kept (name trimmed)
            North Garage,10,3,not a date,unreadable observed_at
            Nowhere,10,3,2024-03-04T11:00:00Z,unknown lot
            North Garage,10,5,2024-03-04T15:05:00Z,kept after a 3-hour gap
            """);

        Int(report, "rowsRead").ShouldBe(11);
        Int(report, "rowsKept").ShouldBe(5);
        Int(report, "rowsClipped").ShouldBe(1);
        Int(report, "rowsDropped").ShouldBe(6);
        Int(report, "duplicates").ShouldBe(1);
        Dropped(report).ShouldBe(["unreadable 2 rows 8,10", "unknown_lot 1 rows 11", "no_capacity 1 rows 7", "negative_occupied 1 rows 6", "duplicate 1 rows 4"]);
        report.GetProperty("firstClippedRows").EnumerateArray().Select(r => r.GetInt32()).ShouldBe([5]);
        report.GetProperty("unreadable").EnumerateArray().Select(u => (u.GetProperty("row").GetInt32(), u.Str("column"))).ShouldBe([(8, "occupied"), (10, "observed_at")]);
        report.GetProperty("unknownLots").EnumerateArray().Select(u => (u.Str("lot"), u.GetProperty("rows").GetInt32(), u.GetProperty("firstRow").GetInt32())).ShouldBe([("Nowhere", 1, 11)]);
        report.GetProperty("ignoredColumns").EnumerateArray().Select(c => c.GetString()).ShouldBe(["note"]);
        Int(report, "hoursWritten").ShouldBe(3);

        var lot = report.GetProperty("lots").EnumerateArray().Single();
        lot.GetProperty("lotId").GetGuid().ShouldBe(lotId);
        (Int(lot, "rows"), Int(lot, "kept"), Int(lot, "clipped"), Int(lot, "duplicates"), Int(lot, "droppedNegative"), Int(lot, "droppedNoCapacity"))
            .ShouldBe((8, 5, 1, 1, 1, 1));
        lot.GetProperty("firstHour").GetDateTimeOffset().ShouldBe(DateTimeOffset.Parse("2024-03-04T10:00:00Z"));
        lot.GetProperty("lastHour").GetDateTimeOffset().ShouldBe(DateTimeOffset.Parse("2024-03-04T15:00:00Z"));
        (Int(lot, "hoursWithData"), Int(lot, "gaps"), Int(lot, "gapHours"), Int(lot, "longestGapHours")).ShouldBe((3, 1, 3, 3));
        // Intervals 30, 45, 30 and 200 minutes: the median is 45 and only the 200 strays by more than half.
        lot.GetProperty("medianIntervalMinutes").GetDouble().ShouldBe(45);
        Int(lot, "irregularIntervals").ShouldBe(1);
        lot.GetProperty("tooLittleHistory").GetBoolean().ShouldBeTrue();
        lot.GetProperty("warnings").EnumerateArray().ShouldContain(w => w.GetString()!.StartsWith("too little history to forecast"));

        // 10:00 holds 4/10 and 6/10; 11:00 the clipped 10/10 and 2/10; 15:00 5/10.
        (await HoursAsync(lotId)).ShouldBe(["2024-03-04 10 0.5 0.6 10 2 import", "2024-03-04 11 0.6 1 10 2 import", "2024-03-04 15 0.5 0.5 10 1 import"]);
        (await factory.ScalarAsync<Guid>("select tenant_id from lot_occupancy_hourly where lot_id = $1 limit 1", lotId)).ShouldBe(tenant);
    }

    [Fact]
    public async Task Author_IsShownByEmail_ButStoredAsTheirAccountIdOnly()
    {
        var (_, client, account) = await factory.NewTenantWithOperatorAsync();
        await client.CreateLotAsync(Payloads.Lot("Author Garage"));
        var report = await ImportAsync(client, """
            lot,capacity,occupied,observed_at
            Author Garage,10,4,2024-03-04T10:00:00Z
            """);
        var id = report.GetProperty("id").GetGuid();
        report.Str("importedBy").ShouldBe(account.Email);

        (await client.GetJsonAsync($"{Url}/{id}")).Str("importedBy").ShouldBe(account.Email);
        (await client.GetJsonAsync(Url)).EnumerateArray().Single(i => i.GetProperty("id").GetGuid() == id).Str("importedBy").ShouldBe(account.Email);
        (await factory.ScalarAsync<string>("select o::text from occupancy_imports o where id = $1", id)).ShouldNotContain(account.Email, Case.Insensitive);
        (await factory.ScalarAsync<Guid>("select imported_by from occupancy_imports where id = $1", id)).ShouldBe(account.Id);
    }

    [Fact]
    public async Task LocalTimes_AreReadInTheTimezone_AcrossBothClockChanges()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        var lotId = (await client.CreateLotAsync(Payloads.Lot("Harbour"))).Id();
        const string csv = """
            lot,capacity,occupied,observed_at
            Harbour,10,1,2024-03-31 01:30
            Harbour,10,2,2024-03-31 02:30
            Harbour,10,3,2024-03-31 03:45
            Harbour,10,9,2024-06-01T12:00:00+02:00
            Harbour,10,4,2024-10-27 01:30
            Harbour,10,5,2024-10-27 02:30
            Harbour,10,6,2024-10-27 02:15
            Harbour,10,7,2024-10-27 02:45
            Harbour,10,8,2024-10-27 03:30
            """;

        await (await client.PostAsync(Url, Payloads.Csv(csv))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "timezone");
        await (await client.PostAsync(Url + "?timezone=Mars/Olympus_Mons", Payloads.Csv(csv))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "timezone");
        var report = await ImportAsync(client, csv, "?timezone=Europe/Copenhagen");

        report.Str("timeZone").ShouldBe("Europe/Copenhagen");
        var lot = report.GetProperty("lots").EnumerateArray().Single();
        (Int(lot, "kept"), Int(lot, "skippedLocalHourRows"), Int(lot, "repeatedLocalHourRows")).ShouldBe((9, 1, 3));
        (await HoursAsync(lotId)).ShouldBe([
            "2024-03-31 00 0.1 0.1 10 1 import",  // 01:30 CET
            "2024-03-31 01 0.25 0.3 10 2 import", // 02:30 does not exist: read as 03:30 CEST, with 03:45 CEST
            "2024-06-01 10 0.9 0.9 10 1 import",  // an offset is taken as given
            "2024-10-26 23 0.4 0.4 10 1 import",  // 01:30 CEST
            "2024-10-27 00 0.5 0.5 10 1 import",  // 02:30, the first time: CEST
            "2024-10-27 01 0.65 0.7 10 2 import", // 02:15 after 02:30 means the clock went back: CET, and 02:45 with it
            "2024-10-27 02 0.8 0.8 10 1 import",  // 03:30 CET
        ]);
    }

    [Fact]
    public async Task Lots_AreMatchedByIdOrName_WithinTheCallersTenantOnly()
    {
        var (_, other, _) = await factory.NewTenantWithOperatorAsync();
        var othersLot = (await other.CreateLotAsync(Payloads.Lot("Same Name"))).Id();
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        var ownLot = (await client.CreateLotAsync(Payloads.Lot("Same Name"))).Id();
        await client.CreateLotAsync(Payloads.Lot("Twin"));
        await client.CreateLotAsync(Payloads.Lot("Twin"));

        var report = await ImportAsync(client, $"""
            lot,capacity,occupied,observed_at
            {othersLot},10,1,2024-05-01T10:00:00Z
            Same Name,10,2,2024-05-01T10:00:00Z
            {ownLot},10,4,2024-05-01T10:30:00Z
            Twin,10,3,2024-05-01T10:00:00Z
            {Guid.NewGuid()},10,3,2024-05-01T10:00:00Z
            """);

        Int(report, "rowsKept").ShouldBe(2);
        report.GetProperty("lots").EnumerateArray().Select(l => l.GetProperty("lotId").GetGuid()).ShouldBe([ownLot]);
        var unknown = report.GetProperty("unknownLots").EnumerateArray().ToDictionary(u => u.Str("lot"), u => u.Str("reason"));
        unknown[othersLot.ToString()].ShouldBe("no lot of this tenant has this id");
        unknown["Twin"].ShouldBe("2 lots have this name: name the lot by its id");
        unknown.Count.ShouldBe(3);
        (await HoursAsync(ownLot)).ShouldBe(["2024-05-01 10 0.3 0.4 10 2 import"]);
        (await HoursAsync(othersLot)).ShouldBeEmpty();
    }

    [Fact]
    public async Task LiveHours_AreNotOverwritten_AndImportingAgain_ReplacesTheEarlierImport()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        var lotId = (await client.CreateLotAsync(Payloads.Lot("Live Lot"))).Id();
        await factory.ExecuteAsync("""
            insert into lot_occupancy_hourly (tenant_id, lot_id, hour, occupancy, peak, capacity, samples, source)
            values ($1, $2, '2024-05-01T11:00:00Z', 0.25, 0.5, 10, 60, 'live')
            """, tenant, lotId);
        const string csv = """
            lot,capacity,occupied,observed_at
            Live Lot,10,1,2024-05-01T10:00:00Z
            Live Lot,10,2,2024-05-01T11:00:00Z
            Live Lot,10,3,2024-05-01T12:00:00Z
            """;

        var first = await ImportAsync(client, csv, "?fileName=may.csv");
        var again = await ImportAsync(client, csv, "?fileName=may.csv");

        (Int(first, "hoursWritten"), Int(first, "hoursSkippedLive"), Int(first, "hoursReplaced")).ShouldBe((2, 1, 0));
        (Int(again, "hoursWritten"), Int(again, "hoursSkippedLive"), Int(again, "hoursReplaced")).ShouldBe((2, 1, 2));
        (await HoursAsync(lotId)).ShouldBe(["2024-05-01 10 0.1 0.1 10 1 import", "2024-05-01 11 0.25 0.5 10 60 live", "2024-05-01 12 0.3 0.3 10 1 import"]);

        var past = await client.GetJsonAsync(Url);
        past.EnumerateArray().Select(i => (i.Str("fileName"), i.GetProperty("hoursWritten").GetInt32())).ShouldBe([("may.csv", 2), ("may.csv", 2)]);
        var stored = await client.GetJsonAsync($"{Url}/{again.Id()}");
        Int(stored, "hoursReplaced").ShouldBe(2);
        stored.GetProperty("lots")[0].GetProperty("hoursSkippedLive").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task AFailureMidway_LeavesTheEarlierDataAsItWas()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        var lotId = (await client.CreateLotAsync(Payloads.Lot("Fragile"))).Id();
        await ImportAsync(client, "lot,capacity,occupied,observed_at\nFragile,10,1,2024-05-01T10:00:00Z\nFragile,10,2,2024-05-01T11:00:00Z\n");
        // The import's last statement fails: the hours before it (the delete of the earlier import's, the upsert) must roll back.
        await factory.ExecuteAsync("""
            create function refuse_failing_import() returns trigger language plpgsql as $$
            begin
                if new.file_name = 'fails.csv' then raise exception 'injected failure'; end if;
                return new;
            end $$;
            create trigger refuse_failing_import before insert on occupancy_imports for each row execute function refuse_failing_import();
            """);
        try
        {
            var response = await client.PostAsync(Url + "?fileName=fails.csv",
                Payloads.Csv("lot,capacity,occupied,observed_at\nFragile,10,9,2024-05-01T10:00:00Z\nFragile,10,9,2024-05-01T11:00:00Z\nFragile,10,9,2024-05-01T12:00:00Z\n"));

            await response.ShouldBeProblemAsync(HttpStatusCode.InternalServerError);
        }
        finally
        {
            await factory.ExecuteAsync("drop trigger refuse_failing_import on occupancy_imports; drop function refuse_failing_import();");
        }
        (await HoursAsync(lotId)).ShouldBe(["2024-05-01 10 0.1 0.1 10 1 import", "2024-05-01 11 0.2 0.2 10 1 import"]);
        (await client.GetJsonAsync(Url)).GetArrayLength().ShouldBe(1);
    }

    [Theory]
    [InlineData("lot,capacity,occupied,when\nA,10,1,2024-05-01T10:00:00Z\n", "observed_at")]
    [InlineData("lot,occupied,observed_at\nA,1,2024-05-01T10:00:00Z\n", "capacity")]
    [InlineData("", "body")]
    [InlineData("lot,capacity,occupied,observed_at\n", "body")]
    [InlineData("lot,capacity,occupied,observed_at\nA,10,1,2024-05-01T10:00:00Z\nA,10,1,yesterday\nA,10,1,tomorrow\n", "observed_at")]
    // An unclosed quote runs to the end of the file: the field it starts is not a number.
    [InlineData("lot,capacity,occupied,observed_at\nA,10,\"1,2024-05-01T10:00:00Z\n", "occupied")]
    public async Task FileThatCannotBeImported_Is400NamingTheColumn_AndWritesNothing(string csv, string field)
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        var lotId = (await client.CreateLotAsync(Payloads.Lot("A"))).Id();

        var problem = await (await client.PostAsync(Url, Payloads.Csv(csv))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);

        if (csv.Contains("yesterday")) problem.GetProperty("errors").GetProperty("observed_at")[0].GetString()!.ShouldStartWith("row 3: observed_at 'yesterday'");
        (await HoursAsync(lotId)).ShouldBeEmpty();
        (await client.GetJsonAsync(Url)).GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Admin_NamesTheTenant()
    {
        var (tenant, operatorClient, _) = await factory.NewTenantWithOperatorAsync();
        var lotId = (await operatorClient.CreateLotAsync(Payloads.Lot("Admin Lot"))).Id();
        using var admin = factory.ClientFor(await factory.CreateAdminAsync());
        const string csv = "lot,capacity,occupied,observed_at\nAdmin Lot,10,5,2024-05-01T10:00:00Z\n";

        await (await admin.PostAsync(Url, Payloads.Csv(csv))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "tenantId");
        await (await admin.PostAsync($"{Url}?tenantId={Guid.NewGuid()}", Payloads.Csv(csv))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "tenantId");
        var report = await ImportAsync(admin, csv, $"?tenantId={tenant}");

        report.GetProperty("tenantId").GetGuid().ShouldBe(tenant);
        (await HoursAsync(lotId)).ShouldBe(["2024-05-01 10 0.5 0.5 10 1 import"]);
    }

    [Fact]
    public async Task OtherContentType_Is400()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();

        await (await client.PostAsync(Url, new StringContent("{}", Encoding.UTF8, "application/json"))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "Content-Type");
    }

    [Fact]
    public async Task BodyOverTheLimit_Is413NamingTheLimit_WithOrWithoutALength()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        var big = new byte[HistoryImportFactory.ImportMaxBytes + 1];
        Encoding.ASCII.GetBytes("lot,capacity,occupied,observed_at\n").CopyTo(big, 0);
        big.AsSpan(34).Fill((byte)'\n');

        var sized = await (await client.PostAsync(Url, new ByteArrayContent(big) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } }))
            .ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        var streamed = await (await client.PostAsync(Url, new UnsizedContent(big))).ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        sized.Str("detail").ShouldContain("5,000,000 bytes (setting Analytics:ImportMaxBytes)");
        streamed.Str("detail").ShouldContain("Analytics:ImportMaxBytes");
    }

    [Fact]
    public async Task MultipartForm_ImportsItsFilePart_UnderItsName()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        var lotId = (await client.CreateLotAsync(Payloads.Lot("Form Lot"))).Id();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("ignored"), "comment" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes("lot,capacity,occupied,observed_at\nForm Lot,4,1,2024-05-01T10:00:00Z\n")) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } }, "file", "history.csv" },
        };

        var report = await (await client.PostAsync(Url, form)).ShouldHaveStatusAsync(HttpStatusCode.Created);

        report.Str("fileName").ShouldBe("history.csv");
        (await HoursAsync(lotId)).ShouldBe(["2024-05-01 10 0.25 0.25 4 1 import"]);
    }

    [Fact]
    public async Task AarhusCityPulseFile_ImportsEveryRow_WithTheSameHoursAsTheForecastReader()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        string[] garages = ["BRUUNS", "BUSGADEHUSET", "KALKVAERKSVEJ", "MAGASIN", "NORREPORT", "SALLING", "SCANDCENTER", "SKOLEBAKKEN"];
        foreach (var garage in garages) await client.CreateLotAsync(Payloads.Lot(garage));
        var path = Path.Combine(RepoPaths.Root, "data", "aarhus", "aarhus_citypulse_parking.csv");

        var report = await ImportAsync(client, await File.ReadAllTextAsync(path), "?timezone=Europe/Copenhagen&fileName=aarhus.csv");

        // Checked with awk on the file: 55,264 rows, 6,908 per garage, 4,520 above capacity, none below zero, none without
        // capacity, no garage twice at one update time.
        report.Str("shape").ShouldBe("citypulse");
        (Int(report, "rowsRead"), Int(report, "rowsKept"), Int(report, "rowsClipped"), Int(report, "rowsDropped")).ShouldBe((55_264, 55_264, 4_520, 0));
        report.GetProperty("ignoredColumns").EnumerateArray().Select(c => c.GetString()).ShouldBe(["_id", "streamtime"]);
        using var reader = File.OpenText(path);
        var expected = OccupancyCsv.Read(reader, TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen")).Cleaning.ToDictionary(c => c.Lot);
        var lots = report.GetProperty("lots").EnumerateArray().ToList();
        lots.Select(l => l.Str("name")).ShouldBe(garages);
        foreach (var lot in lots)
        {
            var name = lot.Str("name");
            (Int(lot, "rows"), Int(lot, "kept"), Int(lot, "clipped")).ShouldBe((6_908, 6_908, expected[name].Clipped), name);
            Int(lot, "hoursWithData").ShouldBe(expected[name].HoursWithData, name);
            Int(lot, "hoursWritten").ShouldBe(expected[name].HoursWithData, name);
            Int(lot, "gapHours").ShouldBe(expected[name].GapHours, name);
            Int(lot, "repeatedLocalHourRows").ShouldBe(4, name); // 02:28 and 02:58 on 26 October, twice
            lot.GetProperty("medianIntervalMinutes").GetDouble().ShouldBe(30, 0.1, name);
            lot.GetProperty("tooLittleHistory").GetBoolean().ShouldBeFalse(name);
        }
        (await factory.ScalarAsync<long>("select count(*) from lot_occupancy_hourly where tenant_id = $1", tenant)).ShouldBe(Int(report, "hoursWritten"));
    }

    [Fact]
    public async Task DashboardPage_OffersTheUpload_AndListsPastImports()
    {
        var (_, client, account) = await factory.NewTenantWithOperatorAsync();
        await client.CreateLotAsync(Payloads.Lot("Page Lot"));
        await ImportAsync(client, "lot,capacity,occupied,observed_at\nPage Lot,10,1,2024-05-01T10:00:00Z\n", "?fileName=page-history.csv");
        using var browser = factory.Anonymous();
        (await WebSignInTests.SignInAsync(browser, account.Email, account.Password, code: TotpGenerator.Next(account.TotpKey!, factory.Time)))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var html = await browser.GetStringAsync("/admin/analytics/history");

        html.ShouldContain("Import occupancy history");
        html.ShouldContain("page-history.csv");
        html.ShouldContain("value=\"Europe/Copenhagen\""); // the tenant's zone to start with
    }

    private static async Task<JsonElement> ImportAsync(HttpClient client, string csv, string query = "") =>
        await (await client.PostAsync(Url + query, Payloads.Csv(csv))).ShouldHaveStatusAsync(HttpStatusCode.Created);

    private static int Int(JsonElement element, string property) => element.GetProperty(property).GetInt32();

    /// <summary>"reason count rows first,rows" per reason.</summary>
    private static List<string> Dropped(JsonElement report) =>
        report.GetProperty("dropped").EnumerateArray()
            .Select(d => $"{d.Str("reason")} {d.GetProperty("count").GetInt32()} rows {string.Join(',', d.GetProperty("firstRows").EnumerateArray().Select(r => r.GetInt32()))}").ToList();

    /// <summary>"yyyy-MM-dd HH occupancy peak capacity samples source" per UTC hour of the lot.</summary>
    private Task<List<string>> HoursAsync(Guid lotId) => factory.ColumnAsync("""
        select to_char(hour at time zone 'UTC', 'YYYY-MM-DD HH24') || ' ' || round(occupancy::numeric, 6)::float8 || ' ' || round(peak::numeric, 6)::float8
               || ' ' || capacity || ' ' || samples || ' ' || source
        from lot_occupancy_hourly where lot_id = $1 order by hour
        """, lotId);

    /// <summary>A body sent without Content-Length, so the limit must be enforced while reading.</summary>
    private sealed class UnsizedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnsizedContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_bytes, 0, _bytes.Length);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
