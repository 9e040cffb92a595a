using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Analytics.Forecasts;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Web;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Analytics.Forecasts;

/// <summary>A server that trains small models (few trees) and never on its own schedule: the tests start every training.</summary>
public sealed class ForecastFactory : ManageFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Analytics:Forecast:Scheduled"] = "false";
        settings["Analytics:Forecast:Trees"] = "10";
    }

    /// <summary>
    /// A tenant with <paramref name="lots"/> lots in Copenhagen time, each with <paramref name="days"/> days of hourly
    /// occupancy up to the current hour: busy (about <paramref name="busy"/>) from 08:00 to 17:00 local time, quiet (about 0.1) otherwise.
    /// </summary>
    public async Task<(Guid TenantId, HttpClient Operator, Guid[] LotIds)> TenantWithHistoryAsync(int lots, int days, double busy = 0.9, double quiet = 0.1)
    {
        var (tenantId, client, _) = await NewTenantWithOperatorAsync();
        var ids = new Guid[lots];
        for (var i = 0; i < lots; i++)
        {
            ids[i] = (await client.CreateLotAsync(Payloads.Lot($"Forecast Lot {i + 1}"))).Id();
            await HistoryAsync(tenantId, ids[i], days, seed: i, busy, quiet);
        }
        return (tenantId, client, ids);
    }

    /// <summary>Hourly history: <paramref name="busy"/> from 08 to 16 Copenhagen time, <paramref name="quiet"/> otherwise, with a ripple.</summary>
    public Task HistoryAsync(Guid tenantId, Guid lotId, int days, int seed, double busy = 0.9, double quiet = 0.1) => ExecuteAsync("""
        insert into lot_occupancy_hourly (tenant_id, lot_id, hour, occupancy, peak, capacity, samples, source)
        select $1, $2, h, o, o, 100, 12, 'live' from (
            select h, least(1, greatest(0,
                case when extract(hour from h at time zone 'Europe/Copenhagen') between 8 and 16 then $5 else $6 end
                + 0.03 * sin(extract(epoch from h) / 3600 * 1.7 + $4))) as o
            from generate_series(date_trunc('hour', now()) - make_interval(days => $3), date_trunc('hour', now()) - interval '1 hour', interval '1 hour') as h
        ) s
        """, tenantId, lotId, days, (double)seed, busy, quiet);

    public static bool Busy(DateTimeOffset hour) =>
        TimeZoneInfo.ConvertTime(hour, TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen")).Hour is >= 8 and <= 16;
}

[LongRunFirst]
public sealed class ForecastServiceTests(ForecastFactory factory) : IClassFixture<ForecastFactory>
{
    private static readonly TimeSpan Training = TimeSpan.FromSeconds(120);

    private static async Task<JsonElement> ModelsAsync(HttpClient op) => await op.GetJsonAsync("/api/v1/manage/analytics/forecast/models");

    private static async Task<JsonElement> RetrainAndWaitAsync(HttpClient op, int version)
    {
        var accepted = await (await op.PostAsync("/api/v1/manage/analytics/forecast/retrain", null)).ShouldHaveStatusAsync(HttpStatusCode.Accepted);
        accepted.Str("status").ShouldBe("started");
        var models = await Poll.UntilAsync(() => ModelsAsync(op), m => m.GetArrayLength() > 0 && m[0].GetProperty("version").GetInt32() == version,
            Training, $"model version {version}");
        return models;
    }

    [Fact]
    public async Task Retrain_EightWeeksOfDailyPattern_StoresVersion1AndTheForecastFollowsThePattern()
    {
        var (_, op, lots) = await factory.TenantWithHistoryAsync(lots: 3, days: 56);
        using var _ = op;

        var models = await RetrainAndWaitAsync(op, version: 1);

        var model = models.EnumerateArray().Single();
        model.Str("status").ShouldBe("active");
        model.GetProperty("lots").GetInt32().ShouldBe(3);
        model.GetProperty("hours").GetInt32().ShouldBe(3 * 56 * 24);
        var to = model.GetProperty("trainedTo").GetDateTimeOffset();
        (to - model.GetProperty("trainedFrom").GetDateTimeOffset()).ShouldBe(TimeSpan.FromDays(56));
        model.GetProperty("backtestMae").GetDouble().ShouldBeLessThan(0.1);
        model.GetProperty("seasonalNaiveMae").GetDouble().ShouldBeGreaterThan(0);
        model.GetProperty("backtestRmse").GetDouble().ShouldBeGreaterThanOrEqualTo(model.GetProperty("backtestMae").GetDouble());

        using var driver = factory.Anonymous();
        var forecast = await driver.GetJsonAsync($"/api/v1/lots/{lots[0]}/forecast");
        forecast.Str("method").ShouldBe("model");
        forecast.GetProperty("modelVersion").GetInt32().ShouldBe(1);
        forecast.GetProperty("backtestMae").GetDouble().ShouldBe(model.GetProperty("backtestMae").GetDouble());
        var points = forecast.GetProperty("points").EnumerateArray().ToList();
        points.Count.ShouldBe(24);
        var hours = points.Select(p => p.GetProperty("hour").GetDateTimeOffset()).ToList();
        hours[0].ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddHours(-1));
        hours.Zip(hours.Skip(1), (a, b) => b - a).ShouldAllBe(step => step == TimeSpan.FromHours(1));
        foreach (var p in points)
        {
            var (occupancy, low, high) = (p.GetProperty("occupancy").GetDouble(), p.GetProperty("low").GetDouble(), p.GetProperty("high").GetDouble());
            low.ShouldBeInRange(0, occupancy);
            high.ShouldBeInRange(occupancy, 1);
            if (ForecastFactory.Busy(p.GetProperty("hour").GetDateTimeOffset())) occupancy.ShouldBeGreaterThan(0.7, p.ToString());
            else occupancy.ShouldBeLessThan(0.3, p.ToString());
        }
    }

    [Fact]
    public async Task SecondRetrain_MakesVersion2ActiveAndKeepsVersion1AsPrevious()
    {
        var (_, op, _) = await factory.TenantWithHistoryAsync(lots: 2, days: 42);
        using var _ = op;
        await RetrainAndWaitAsync(op, version: 1);

        var models = await RetrainAndWaitAsync(op, version: 2);

        models.EnumerateArray().Select(m => (m.GetProperty("version").GetInt32(), m.Str("status"))).ShouldBe([(2, "active"), (1, "previous")]);
    }

    [Fact]
    public async Task RetrainRequestsRacingOnTwoNodes_TrainOnce()
    {
        var (tenantId, op, _) = await factory.TenantWithHistoryAsync(lots: 2, days: 42);
        using var _ = op;
        // Two trainers are what two nodes run; their locks are PostgreSQL's, whichever process holds them.
        await using var nodeA = ActivatorUtilities.CreateInstance<ForecastTrainer>(factory.Services);
        await using var nodeB = ActivatorUtilities.CreateInstance<ForecastTrainer>(factory.Services);
        var requestedAt = DateTimeOffset.UtcNow;

        var results = await Task.WhenAll(nodeA.RetrainAsync(tenantId, requestedAt, CancellationToken.None), nodeB.RetrainAsync(tenantId, requestedAt, CancellationToken.None));

        results.Count(r => r.Outcome == RetrainOutcome.Trained).ShouldBe(1);
        results.Single(r => r.Outcome != RetrainOutcome.Trained).Outcome.ShouldBeOneOf(RetrainOutcome.AlreadyRunning, RetrainOutcome.UpToDate);
        (await ModelsAsync(op)).GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task YoungLot_GetsItsOwnMedianProfileAndSaysSo_PricingKeepsItsBaselineThen()
    {
        var (tenantId, op, lots) = await factory.TenantWithHistoryAsync(lots: 2, days: 35);
        using var _ = op;
        var young = (await op.CreateLotAsync(Payloads.Lot("Young Lot"))).Id();
        await factory.HistoryAsync(tenantId, young, days: 9, seed: 7);
        await RetrainAndWaitAsync(op, version: 1);
        using var driver = factory.Anonymous();

        var forecast = await driver.GetJsonAsync($"/api/v1/lots/{young}/forecast");

        forecast.Str("method").ShouldBe("median-profile");
        forecast.Str("note").ShouldContain("9 days of history");
        forecast.GetProperty("modelVersion").ValueKind.ShouldBe(JsonValueKind.Null);
        var points = forecast.GetProperty("points").EnumerateArray().ToList();
        points.Count.ShouldBe(24);
        points.ShouldAllBe(p => ForecastFactory.Busy(p.GetProperty("hour").GetDateTimeOffset()) == p.GetProperty("occupancy").GetDouble() > 0.5);
        var forecasts = factory.Services.GetRequiredService<IOccupancyForecasts>();
        (await forecasts.ForecastAsync(young, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(3), CancellationToken.None)).ShouldBeNull();
        (await forecasts.ForecastAsync(lots[0], DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(3), CancellationToken.None)).ShouldNotBeNull();
    }

    [Fact]
    public async Task TenantWithoutModel_LotsGetTheirMedianProfile()
    {
        var (_, op, lots) = await factory.TenantWithHistoryAsync(lots: 1, days: 21);
        using var _ = op;
        using var driver = factory.Anonymous();

        var forecast = await driver.GetJsonAsync($"/api/v1/lots/{lots[0]}/forecast");

        forecast.Str("method").ShouldBe("median-profile");
        forecast.Str("note").ShouldContain("no trained forecast model");
    }

    [Fact]
    public async Task Forecast_UnknownLot_404()
    {
        using var driver = factory.Anonymous();
        await (await driver.GetAsync($"/api/v1/lots/{Guid.NewGuid()}/forecast")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("from=not-a-time", "from")]
    [InlineData("to=9999-12-31T00:00:00Z", "to")]
    public async Task Forecast_BadWindow_400NamingTheField(string query, string field)
    {
        using var driver = factory.Anonymous();
        await (await driver.GetAsync($"/api/v1/lots/{Guid.NewGuid()}/forecast?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Forecast_WindowOver31Days_400NamingTo()
    {
        using var driver = factory.Anonymous();
        var from = DateTimeOffset.UtcNow.AddDays(-5);
        var query = $"from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(from.AddDays(32).ToString("O"))}";
        await (await driver.GetAsync($"/api/v1/lots/{Guid.NewGuid()}/forecast?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "to");
    }

    [Fact]
    public async Task Repricing_UsesTheModelsForecastInPlaceOfLastWeeksPrices()
    {
        // Nine tenths full around the clock, so the forecast is far from last week's prices whatever the hour the test runs.
        var (tenantId, op, lots) = await factory.TenantWithHistoryAsync(lots: 2, days: 42, busy: 0.9, quiet: 0.9);
        using var _ = op;
        // Last week's prices say half full at this time of day; the model knows the lot's history.
        foreach (var days in new[] { 1, 2, 3 })
            await factory.ExecuteAsync("""
                insert into price_history (lot_id, at, occupancy, previous_rate, demand_rate, rate_now, rule, time_multiplier, event_multiplier)
                values ($1, now() - make_interval(days => $2) + interval '5 minutes', 0.5, 20, 20, 20, 'in_band', 1, 1)
                """, lots[0], days);
        (await factory.Services.GetRequiredService<ForecastTrainer>().RetrainAsync(tenantId, DateTimeOffset.UtcNow, CancellationToken.None))
            .Outcome.ShouldBe(RetrainOutcome.Trained);
        var now = DateTimeOffset.UtcNow;

        await using (var connection = await factory.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync())
            await factory.Services.GetRequiredService<Repricing>().RecomputeAsync(connection, now, CancellationToken.None);

        var expected = (await factory.Services.GetRequiredService<IOccupancyForecasts>().ForecastAsync(lots[0], now, now.AddMinutes(15), CancellationToken.None))!
            .Average(p => p.Occupancy);
        var latest = (await op.GetJsonAsync($"/api/v1/manage/lots/{lots[0]}/price-history")).EnumerateArray().First();
        latest.GetProperty("forecast").GetDouble().ShouldBe(expected, 1e-9);
        Math.Abs(expected - 0.5).ShouldBeGreaterThan(0.2);
    }

    [Fact]
    public async Task ReservePage_LotFullEveryWorkingDay_TellsTheDriverWhenItUsuallyFills()
    {
        var (tenantId, op, lots) = await factory.TenantWithHistoryAsync(lots: 2, days: 42, busy: 1.0);
        using var _ = op;
        (await factory.Services.GetRequiredService<ForecastTrainer>().RetrainAsync(tenantId, DateTimeOffset.UtcNow, CancellationToken.None))
            .Outcome.ShouldBe(RetrainOutcome.Trained);
        var driver = await factory.RegisterDriverAsync();
        using var browser = factory.Anonymous();
        await Web.WebSignInTests.SignInAsync(browser, driver.Email, driver.Password);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
        var now = DateTimeOffset.UtcNow;
        var (from, _) = ForecastHints.Window(now, zone);
        var firstBusy = Enumerable.Range(0, 48).Select(i => from.AddHours(i)).First(ForecastFactory.Busy);

        var html = await browser.GetStringAsync($"/lots/{lots[0]}/reserve");

        html.ShouldContain($"data-testid=\"forecast-hint\">{ForecastHints.Text([new ForecastPoint(firstBusy, 1, 1, 1)], now, zone, "en")}</p>");
    }

    [Fact]
    public async Task LotDashboardPage_DrawsMeasuredOccupancyAndTheForecastBand()
    {
        var (tenantId, op, lots) = await factory.TenantWithHistoryAsync(lots: 2, days: 42);
        using var _ = op;
        (await factory.Services.GetRequiredService<ForecastTrainer>().RetrainAsync(tenantId, DateTimeOffset.UtcNow, CancellationToken.None))
            .Outcome.ShouldBe(RetrainOutcome.Trained);
        var account = await factory.CreateOperatorAsync(tenantId);
        using var browser = factory.Anonymous();
        await Web.WebSignInTests.SignInAsync(browser, account.Email, account.Password, code: TotpGenerator.Next(account.TotpKey!, factory.Time));

        var html = await browser.GetStringAsync($"/admin/lots/{lots[0]}");

        html.ShouldContain("data-testid=\"forecast-chart\"");
        html.ShouldContain("data-testid=\"forecast-chart-band\"");
        html.ShouldContain("Forecast by model version 1");
        // The numbers table: 7 days measured, 7 days forecast with their ranges.
        var ranges = System.Text.RegularExpressions.Regex.Matches(html, "<td class=\"num\">[^<]*–[^<]*</td>");
        ranges.Count.ShouldBe(7 * 24, html.Length > 3000 ? html[^3000..] : html);
    }

    [Fact]
    public async Task RetrainJob_TenantWithoutModelIsDue_NotOnceTrained_DueAgainAfterAWeek()
    {
        var (tenantId, op, _) = await factory.TenantWithHistoryAsync(lots: 1, days: 21);
        using var _ = op;
        var job = factory.Services.GetRequiredService<ForecastRetrainJob>();
        (await job.DueAsync(DateTimeOffset.UtcNow, CancellationToken.None)).ShouldContain(tenantId);

        await factory.Services.GetRequiredService<ForecastTrainer>().RetrainAsync(tenantId, DateTimeOffset.UtcNow, CancellationToken.None);
        (await job.DueAsync(DateTimeOffset.UtcNow, CancellationToken.None)).ShouldNotContain(tenantId);

        await factory.ExecuteAsync("update forecast_models set trained_at = trained_at - interval '7 days' where tenant_id = $1", tenantId);
        (await job.DueAsync(DateTimeOffset.UtcNow, CancellationToken.None)).ShouldContain(tenantId);
    }
}
