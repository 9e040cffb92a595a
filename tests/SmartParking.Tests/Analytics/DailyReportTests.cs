using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Analytics.DailyReports;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Notifications;
using SmartParking.Tests.Payments;

namespace SmartParking.Tests.Analytics;

/// <summary>Forecasts a test sets per lot; other lots have none.</summary>
public sealed class FakeForecasts : IOccupancyForecasts
{
    public ConcurrentDictionary<Guid, IReadOnlyList<ForecastPoint>> ByLot { get; } = new();

    public Task<IReadOnlyList<ForecastPoint>?> ForecastAsync(Guid lotId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        Task.FromResult(ByLot.TryGetValue(lotId, out var points) ? (IReadOnlyList<ForecastPoint>?)points.Where(p => p.Hour >= from && p.Hour < to).ToList() : null);
}

/// <summary>
/// A server whose scheduled round runs only when a test says (the timer's first round comes before any test's tenant
/// exists), with e-mail to a local SMTP server and forecasts the test sets.
/// </summary>
public sealed class DailyReportsFactory : NotificationsFactory
{
    public FakeForecasts Forecasts { get; } = new();

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Analytics:DailyReports:Enabled"] = "true";
        settings["Reservations:SweepSeconds"] = "3600";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IOccupancyForecasts>(Forecasts));
    }

    public DailyReportJob Job => Services.GetRequiredService<DailyReportJob>();

    /// <summary>Another node's job: its own instance over the same database.</summary>
    public DailyReportJob SecondNodeJob() => ActivatorUtilities.CreateInstance<DailyReportJob>(Services);

    public Task RunAsync(DateTimeOffset at) => Job.RunAsync(at, CancellationToken.None);

    public async Task<List<string>> ReportDaysAsync(Guid tenantId) =>
        await ColumnAsync("select to_char(local_date, 'YYYY-MM-DD') from daily_reports where tenant_id = $1 order by local_date", tenantId);
}

public sealed class DailyReportTests(DailyReportsFactory factory) : IClassFixture<DailyReportsFactory>
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// A local wall-clock time as an instant, some days after the test clock's UTC date so every test has days of its own.
    /// The same date in every zone (not each zone's own today, which differs between zones around midnight), so 06:00 in
    /// New York is always after 06:00 in Copenhagen.
    /// </summary>
    private DateTimeOffset Local(string zoneId, int daysAhead, int hour, int minute = 0)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var today = DateOnly.FromDateTime(factory.Clock.GetUtcNow().UtcDateTime);
        var local = today.AddDays(daysAhead).ToDateTime(new TimeOnly(hour, minute));
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    private static string Day(DateTimeOffset at, string zoneId, int offsetDays = 0) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(zoneId)).DateTime).AddDays(offsetDays).ToString("yyyy-MM-dd", Invariant);

    [Fact]
    public async Task Schedule_TwoTenantsInDifferentZones_EachGetsYesterdaysReportAtSixLocalOnce()
    {
        const string Copenhagen = "Europe/Copenhagen", NewYork = "America/New_York";
        var cph = await factory.CreateTenantAsync("Copenhagen tenant", Copenhagen);
        var ny = await factory.CreateTenantAsync("New York tenant", NewYork);
        var cphOperator = await factory.CreateOperatorAsync(cph, enrolTotp: false);
        var cphSix = Local(Copenhagen, 3, 6);
        var nySix = Local(NewYork, 3, 6);
        var cphYesterday = Day(cphSix, Copenhagen, -1);
        var nyYesterday = Day(nySix, NewYork, -1);

        await factory.RunAsync(cphSix.AddMinutes(-1));
        (await factory.ReportDaysAsync(cph)).ShouldNotContain(cphYesterday);

        await factory.RunAsync(cphSix);
        (await factory.ReportDaysAsync(cph)).ShouldBe([cphYesterday]);
        (await factory.ReportDaysAsync(ny)).ShouldNotContain(nyYesterday, "06:00 in Copenhagen is the middle of the night in New York");

        await factory.RunAsync(nySix.AddMinutes(-1));
        (await factory.ReportDaysAsync(ny)).ShouldNotContain(nyYesterday);

        await factory.RunAsync(nySix);
        (await factory.ReportDaysAsync(ny)).ShouldContain(nyYesterday);

        // A second round, and a second node that takes over the job, find the day done.
        var made = await factory.ScalarAsync<DateTime>("select generated_at from daily_reports where tenant_id = $1", cph);
        await factory.RunAsync(nySix.AddMinutes(5));
        await factory.SecondNodeJob().RunAsync(nySix.AddMinutes(10), CancellationToken.None);
        (await factory.ReportDaysAsync(cph)).ShouldBe([cphYesterday]);
        (await factory.ScalarAsync<DateTime>("select generated_at from daily_reports where tenant_id = $1", cph)).ShouldBe(made);
        (await factory.ScalarAsync<long>("select count(*) from notification_messages where address_index = $1 and kind = 'daily_report'", factory.NotificationAddressIndex(cphOperator.Email))).ShouldBe(1);
        await factory.SendDueAsync();
        await factory.Smtp.WaitForAsync(cphOperator.Email);
        factory.Smtp.To(cphOperator.Email).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Schedule_NodeWasDownAtSix_LatestDayIsMadeOnTheNextRoundAndNoOlderOnes()
    {
        const string Utc = "UTC";
        var tenant = await factory.CreateTenantAsync("Catch-up tenant", Utc);
        var down = Local(Utc, 6, 5);

        await factory.RunAsync(down);
        await factory.RunAsync(down.AddHours(9));

        (await factory.ReportDaysAsync(tenant)).ShouldBe([Day(down, Utc, -1)], "only yesterday's report, not a backlog");
    }

    [Fact]
    public async Task Report_ADayOfActivity_PdfWorkbookAndEmailCarryTheFigures()
    {
        const string Utc = "UTC";
        var tenant = await factory.CreateTenantAsync("Figures tenant", Utc);
        var account = await factory.CreateOperatorAsync(tenant);
        using var client = factory.ClientFor(account);
        var garage = (await client.CreateLotAsync(Payloads.Lot("Figures Garage"))).Id();
        var street = (await client.CreateLotAsync(Payloads.Lot("Figures Street", kind: "on_street"))).Id();
        var now = factory.Clock.GetUtcNow();
        var day = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        await factory.ExecuteAsync("""
            insert into lot_occupancy_hourly (tenant_id, lot_id, hour, occupancy, peak, capacity, samples, source)
            values ($1, $2, $3, 0.5, 0.8, 110, 12, 'live'), ($1, $2, $4, 0.3, 0.6, 110, 12, 'live')
            """, tenant, garage, day.AddHours(8), day.AddHours(9));
        var paid = await ParkAndPayAsync(garage, "DR 10 001");
        var payment = (await client.GetJsonAsync("/api/v1/manage/payments?state=succeeded")).Items().Single();
        await factory.ExecuteAsync("""
            insert into refunds (id, payment_id, amount, currency, state, idempotency_key, created_at) values ($1, $2, 0.10, 'DKK', 'succeeded', $3, $4)
            """, Guid.NewGuid(), payment.Id(), $"daily-{Guid.NewGuid():N}", now);
        await factory.ExecuteAsync("""
            insert into alerts (id, tenant_id, lot_id, kind, subject, severity, title, detail, status, opened_at, resolved_at, resolved_by)
            values ($1, $2, $3, 'lot_full', $3::text, 'warning', 'Lot full', 'Full for 30 minutes', 'resolved', $4, $5, 'system')
            """, Guid.NewGuid(), tenant, garage, day.AddHours(10), day.AddHours(11));
        factory.Forecasts.ByLot[garage] = [.. Enumerable.Range(0, 24).Select(h => new ForecastPoint(day.AddDays(1).AddHours(h), h == 9 ? 0.9 : 0.5, 0.4, 0.95))];
        var net = paid - 0.10m;

        await factory.RunAsync(day.AddDays(1).AddHours(6));

        var date = day.ToString("yyyy-MM-dd", Invariant);
        var pdf = await (await client.GetAsync($"/api/v1/manage/reports/daily/{date}.pdf")).Content.ReadAsByteArrayAsync();
        var text = PdfText.Extract(pdf);
        text.ShouldContain("Daily report for Figures tenant");
        text.ShouldContain("Figures Garage");
        text.ShouldContain("40.0 %");
        text.ShouldContain("80.0 %");
        text.ShouldContain($"{net.ToString("N2", Invariant)} DKK");
        text.ShouldContain("Alerts raised: 1");
        text.ShouldContain("Alerts resolved: 1");
        text.ShouldContain("90.0 %", customMessage: "the forecast's peak");
        text.ShouldContain("09:00");

        var xlsx = await (await client.GetAsync($"/api/v1/manage/reports/daily/{date}.xlsx")).Content.ReadAsByteArrayAsync();
        var lots = Sheet(xlsx, "Lots");
        lots[0].ShouldBe(["Lot", "Lot id", "Spaces", "Mean occupancy", "Peak occupancy", "Occupancy source", "Reservations", "Sessions", "Revenue net DKK"]);
        var garageRow = lots.Single(r => r[0] == "Figures Garage");
        (garageRow[3], garageRow[4], garageRow[5], garageRow[7]).ShouldBe(("0.4", "0.8", DailyReportBuilder.RollupSource, "1"));
        decimal.Parse(garageRow[8], Invariant).ShouldBe(net);
        var streetRow = lots.Single(r => r[0] == "Figures Street");
        (streetRow[3], streetRow[4], streetRow[7]).ShouldBe(("", "", "0"), "a lot without any occupancy data says so instead of 0 %");
        Sheet(xlsx, "Alerts").Skip(1).ShouldHaveSingleItem().ShouldBe(["lot_full", "1", "1"]);
        Sheet(xlsx, "Forecast").Count.ShouldBe(25);

        await factory.SendDueAsync();
        var mail = await factory.Smtp.WaitForAsync(account.Email);
        mail.Subject.ShouldBe($"Daily report for Figures tenant, {date}");
        mail.TextBody.ShouldNotBeNull().ShouldContain("1 sessions");
        var files = mail.Attachments.OfType<MimePart>().ToList();
        files.Select(f => (f.FileName, f.ContentType.MimeType)).ShouldBe([
            ($"daily-report-{date}.pdf", "application/pdf"),
            ($"daily-report-{date}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]);
        using var attached = new MemoryStream();
        await files[0].Content!.DecodeToAsync(attached);
        attached.ToArray().ShouldBe(pdf);
    }

    [Fact]
    public async Task Download_ListAndFiles_OnlyTheOperatorsOwnTenant()
    {
        const string Utc = "UTC";
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        await factory.ExecuteAsync("update tenants set time_zone = $1 where id = $2", Utc, tenant);
        var (strangerTenant, stranger, _) = await factory.NewTenantWithOperatorAsync();
        // West of UTC, so at 06:00 UTC its own report of that day is not due yet.
        await factory.ExecuteAsync("update tenants set time_zone = 'America/Los_Angeles' where id = $1", strangerTenant);
        var six = Local(Utc, 9, 6);
        var date = Day(six, Utc, -1);

        await factory.RunAsync(six);

        var list = (await client.GetJsonAsync("/api/v1/manage/reports/daily")).EnumerateArray().ToList();
        list.Select(r => r.Str("date")).ShouldContain(date);
        list.ShouldAllBe(r => r.GetProperty("tenantId").GetGuid() == tenant);
        var pdf = await client.GetAsync($"/api/v1/manage/reports/daily/{date}.pdf");
        pdf.StatusCode.ShouldBe(HttpStatusCode.OK);
        pdf.Content.Headers.ContentType!.MediaType.ShouldBe("application/pdf");
        System.Text.Encoding.ASCII.GetString(await pdf.Content.ReadAsByteArrayAsync(), 0, 4).ShouldBe("%PDF");
        (await client.GetAsync($"/api/v1/manage/reports/daily/{date}.xlsx")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await stranger.GetJsonAsync("/api/v1/manage/reports/daily")).EnumerateArray().ShouldNotContain(r => r.GetProperty("tenantId").GetGuid() == tenant);
        await (await stranger.GetAsync($"/api/v1/manage/reports/daily/{date}.pdf")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.GetAsync($"/api/v1/manage/reports/daily/{date}.xlsx?tenantId={tenant}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync("/api/v1/manage/reports/daily/2026-13-45.pdf")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "date");
        await (await client.GetAsync($"/api/v1/manage/reports/daily/{date}.docx")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    /// <summary>A driver with a sandbox card who parks at the lot and stops at once; returns the amount charged.</summary>
    private async Task<decimal> ParkAndPayAsync(Guid lotId, string plate)
    {
        using var driver = factory.ClientFor(await factory.RegisterDriverAsync());
        await (await driver.PostAsJsonAsync("/api/v1/me/payment-methods", new { provider = "sandbox", token = "sandbox_ok" })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var session = (await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate, durationMinutes = 60 })).ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        var stopped = await (await driver.PostAsync($"/api/v1/sessions/{session}/stop", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        return stopped.GetProperty("amount").GetDecimal();
    }

    /// <summary>A sheet's cells as text, row by row (numbers as written, empty cells as "").</summary>
    private static List<string[]> Sheet(byte[] xlsx, string name)
    {
        using var document = SpreadsheetDocument.Open(new MemoryStream(xlsx), false);
        var sheet = document.WorkbookPart!.Workbook.Descendants<Sheet>().Single(s => s.Name == name);
        var part = (WorksheetPart)document.WorkbookPart!.GetPartById(sheet.Id!);
        return part.Worksheet.Descendants<Row>().Select(r => r.Elements<Cell>().Select(c => c.InnerText).ToArray()).ToList();
    }
}
