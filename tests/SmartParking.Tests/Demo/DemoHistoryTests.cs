using System.Net;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Demo;

/// <summary>The demo city seeded as a first run seeds it, with three days of history and no live traffic.</summary>
public sealed class DemoFactory : ApiFactory
{
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "smartparking-demo-" + Guid.NewGuid().ToString("N"));

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Demo:Seed"] = "true";
        settings["Demo:LiveReadingsPerSecond"] = "0";
        settings["Demo:HistoryDays"] = "3";
        settings["Database:DataDirectory"] = DataDirectory;
    }

    public JsonElement Credentials => JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDirectory, "demo-credentials.json"))).RootElement.Clone();

    protected override Task OnHostStoppedAsync()
    {
        if (Directory.Exists(DataDirectory)) Directory.Delete(DataDirectory, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// A new install's dashboard has a past to show: hourly prices stepped by the pricing engine, and finished stays paid in
/// the sandbox, consistent with each other and with the reports.
/// </summary>
public sealed class DemoHistoryTests(DemoFactory factory) : IClassFixture<DemoFactory>
{
    private async Task<HttpClient> OperatorAsync()
    {
        var c = factory.Credentials;
        using var anonymous = factory.Anonymous();
        var tokens = await Accounts.LoginAsync(anonymous, c.Str("operatorEmail"), c.Str("operatorPassword"), TotpGenerator.Next(c.Str("operatorTotpKey"), factory.Time));
        return factory.ClientWithToken(tokens.AccessToken);
    }

    [Fact]
    public async Task PriceHistory_EveryLot_HasEachHourOfThreeDaysSteppedFromItsBandsLastHour()
    {
        var lots = await factory.ScalarAsync<long>("select count(*) from lots");
        lots.ShouldBeGreaterThan(30);
        (await factory.ScalarAsync<long>("select count(*) from price_history")).ShouldBe(lots * 72);
        // Each hour starts from where its band's last hour left that band's demand rate, as the scheduler's steps do.
        (await factory.ScalarAsync<long>("""
            select count(*) from (
                select previous_rate, lag(demand_rate) over (partition by lot_id, period order by at) as before from price_history) h
            where before is not null and previous_rate <> before
            """)).ShouldBe(0);
        (await factory.ScalarAsync<long>("select count(distinct period) from price_history")).ShouldBe(2);
        (await factory.ScalarAsync<long>("select count(*) from price_history where rule not in ('above_band', 'below_band', 'in_band')")).ShouldBe(0);
        (await factory.ScalarAsync<long>("select count(distinct rule) from price_history")).ShouldBeGreaterThan(1);
        // The price now starts where the week left each lot.
        (await factory.ScalarAsync<long>("""
            select count(*) from lot_prices p
            join lateral (select demand_rate, period from price_history h where h.lot_id = p.lot_id order by at desc limit 1) last on true
            where case last.period when 'peak' then p.peak_demand_rate else p.off_peak_demand_rate end <> last.demand_rate
            """)).ShouldBe(0);
    }

    [Fact]
    public async Task Reports_Revenue_IsTheSeededPaymentsLessRefunds_AndOccupancyHasEveryHour()
    {
        using var client = await OperatorAsync();
        var since = DateTimeOffset.UtcNow.AddDays(-2);
        var charged = await factory.ScalarAsync<decimal>("select sum(amount) from payments where state = 'succeeded' and created_at >= $1", since);
        var refunded = await factory.ScalarAsync<decimal>("select coalesce(sum(amount), 0) from refunds where state = 'succeeded' and created_at >= $1", since);
        charged.ShouldBeGreaterThan(1000m);

        var revenue = await client.GetJsonAsync($"/api/v1/manage/reports/revenue?from={Uri.EscapeDataString(since.ToString("O"))}");
        revenue.GetProperty("totals").EnumerateArray().Single().GetProperty("net").GetDecimal().ShouldBe(charged - refunded);

        var occupancy = await client.GetJsonAsync("/api/v1/manage/reports/occupancy");
        var points = occupancy.GetProperty("points").EnumerateArray().Take(23).ToList();
        points.Count.ShouldBe(23);
        points.ShouldAllBe(p => p.GetProperty("occupancy").ValueKind == JsonValueKind.Number);
    }

    [Fact]
    public async Task Stays_AreFinishedAndPricedOncePerStay_AndTheDemoDriverHasReceipts()
    {
        (await factory.ScalarAsync<long>("select count(*) from meter_sessions")).ShouldBeGreaterThan(100);
        (await factory.ScalarAsync<long>("select count(*) from meter_sessions where status <> 'stopped' or stopped_at > now() or amount <= 0")).ShouldBe(0);
        (await factory.ScalarAsync<long>("select count(*) from reservations where status <> 'completed' or upper(during) > now()")).ShouldBe(0);
        (await factory.ScalarAsync<long>("""
            select count(*) from (select id from meter_sessions union all select id from reservations) s
            where (select count(*) from payments p where p.reference_id = s.id and p.state = 'succeeded') <> 1
            """)).ShouldBe(0);

        var c = factory.Credentials;
        using var anonymous = factory.Anonymous();
        var tokens = await Accounts.LoginAsync(anonymous, c.Str("driverEmail"), c.Str("driverPassword"));
        using var driver = factory.ClientWithToken(tokens.AccessToken);
        var reservations = (await driver.GetJsonAsync("/api/v1/reservations")).Items();
        reservations.ShouldNotBeEmpty();
        reservations.ShouldAllBe(r => r.Str("status") == "completed");
        (await driver.GetJsonAsync("/api/v1/sessions")).Items().ShouldNotBeEmpty();
        var receipt = await driver.GetAsync($"/api/v1/payments/receipts/{reservations[0].Id()}?format=pdf");
        receipt.StatusCode.ShouldBe(HttpStatusCode.OK);
        receipt.Content.Headers.ContentType?.MediaType.ShouldBe("application/pdf");
    }
}
