using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Alerts;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Payments;

namespace SmartParking.Tests.Admin;

/// <summary>Charts, the summary PDF and the live overview, each for a tenant of its own so the figures are exact.</summary>
public sealed class ReportsTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private static DateTimeOffset Hour(DateTimeOffset at) => new(at.UtcDateTime.Date.AddHours(at.UtcDateTime.Hour), TimeSpan.Zero);

    /// <summary>A driver with a sandbox card who parks at the lot and stops at once; returns the amount charged.</summary>
    private async Task<decimal> ParkAndPayAsync(Guid lotId, string plate)
    {
        using var driver = factory.ClientFor(await factory.RegisterDriverAsync());
        await (await driver.PostAsJsonAsync("/api/v1/me/payment-methods", new { provider = "sandbox", token = "sandbox_ok" })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var session = (await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate, durationMinutes = 60 })).ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        var stopped = await (await driver.PostAsync($"/api/v1/sessions/{session}/stop", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        return stopped.GetProperty("amount").GetDecimal();
    }

    [Fact]
    public async Task Revenue_PaymentsAndARefund_NetPerDayMatchesTheLedger()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        var lot = (await client.CreateLotAsync(Payloads.Lot("Revenue lot"))).Id();
        var first = await ParkAndPayAsync(lot, "RV 10 001");
        var second = await ParkAndPayAsync(lot, "RV 10 002");
        var payment = (await client.GetJsonAsync("/api/v1/manage/payments?state=succeeded")).Items().First();
        await factory.ExecuteAsync("""
            insert into refunds (id, payment_id, amount, currency, state, idempotency_key) values ($1, $2, 0.10, 'DKK', 'succeeded', 'test-refund')
            """, Guid.NewGuid(), payment.Id());

        var report = await client.GetJsonAsync($"/api/v1/manage/reports/revenue?from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-1).ToString("O"))}");

        var day = report.GetProperty("days").EnumerateArray().Single();
        day.Str("day").ShouldBe(DateTimeOffset.UtcNow.ToString("yyyy-MM-dd"));
        day.Str("currency").ShouldBe("DKK");
        day.GetProperty("charged").GetDecimal().ShouldBe(first + second);
        day.GetProperty("refunded").GetDecimal().ShouldBe(0.10m);
        day.GetProperty("net").GetDecimal().ShouldBe(first + second - 0.10m);
        report.GetProperty("totals").EnumerateArray().Single().GetProperty("net").GetDecimal().ShouldBe(first + second - 0.10m);
    }

    [Fact]
    public async Task Revenue_WindowOverThirtyOneDays_Returns400NamingFrom()
    {
        using var client = factory.OperatorClient();
        var to = DateTimeOffset.UtcNow;
        await (await client.GetAsync($"/api/v1/manage/reports/revenue?from={Uri.EscapeDataString(to.AddDays(-40).ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}"))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "from");
    }

    [Fact]
    public async Task Occupancy_RecordedPriceHistory_HourlyAveragesAndGapsAsNull()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        var lot = (await client.CreateLotAsync(Payloads.Lot("Busy lot"))).Id();
        var quiet = (await client.CreateLotAsync(Payloads.Lot("Quiet lot"))).Id();
        var hour = Hour(DateTimeOffset.UtcNow.AddHours(-5));
        foreach (var (lotId, minutes, occupancy) in new[] { (lot, 5, 0.5), (lot, 35, 0.7), (lot, 125, 0.9), (quiet, 10, 0.1) })
            await factory.ExecuteAsync("""
                insert into price_history (lot_id, at, occupancy, previous_rate, demand_rate, rate_now, rule, time_multiplier, event_multiplier)
                values ($1, $2, $3, 20, 20, 20, 'hold', 1, 1)
                """, lotId, hour.AddMinutes(minutes), occupancy);
        var window = $"from={Uri.EscapeDataString(hour.ToString("O"))}&to={Uri.EscapeDataString(hour.AddHours(4).ToString("O"))}";

        var series = await client.GetJsonAsync($"/api/v1/manage/reports/occupancy?lotId={lot}&{window}");

        var points = series.GetProperty("points").EnumerateArray().ToList();
        points.Count.ShouldBe(4);
        points[0].GetProperty("hour").GetDateTimeOffset().ShouldBe(hour);
        points[0].GetProperty("occupancy").GetDouble().ShouldBe(0.6, 1e-9);
        points[0].GetProperty("peak").GetDouble().ShouldBe(0.7, 1e-9);
        points[1].GetProperty("occupancy").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        points[2].GetProperty("occupancy").GetDouble().ShouldBe(0.9, 1e-9);
        series.Str("source").ShouldBe("price_history");

        var tenant = (await client.GetJsonAsync($"/api/v1/manage/reports/occupancy?{window}")).GetProperty("points").EnumerateArray().ToList();
        tenant[0].GetProperty("samples").GetInt32().ShouldBe(3);
        tenant[0].GetProperty("occupancy").GetDouble().ShouldBe((0.6 + 0.1) / 2, 1e-9, "lots without spaces weigh the same");
    }

    [Fact]
    public async Task SummaryPdf_TenantWithLotsAndAPayment_IsAPdfNamingTheLotsAndTheRevenue()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        var lot = (await client.CreateLotAsync(Payloads.Lot("Summary Garage"))).Id();
        await client.CreateLotAsync(Payloads.Lot("Summary Street", kind: "on_street"));
        var paid = await ParkAndPayAsync(lot, "SU 10 001");

        var response = await client.GetAsync("/api/v1/manage/reports/summary.pdf");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/pdf");
        response.Content.Headers.ContentDisposition!.FileName!.ShouldContain("summary-");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        System.Text.Encoding.ASCII.GetString(bytes, 0, 4).ShouldBe("%PDF");
        PdfText.ShouldBeWellFormed(bytes);
        var text = PdfText.Extract(bytes);
        text.ShouldContain("Summary Garage");
        text.ShouldContain("Summary Street");
        text.ShouldContain($"{paid.ToString("N2", System.Globalization.CultureInfo.InvariantCulture)} DKK");
        text.ShouldContain("Sensors offline now: 0");
    }

    [Fact]
    public async Task Overview_OfflineAndLowBatterySensors_AreCountedAndTheOpenAlertsListed()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        var lot = (await client.CreateLotAsync(Payloads.Lot("Overview lot"))).Id();
        var silent = (await client.CreateSensorAsync(Payloads.Sensor(Payloads.NewSerial("OV"), lotId: lot))).GetProperty("sensor").Id();
        var weak = (await client.CreateSensorAsync(Payloads.Sensor(Payloads.NewSerial("OV"), lotId: lot))).GetProperty("sensor").Id();
        await factory.ExecuteAsync("update sensors set last_seen_at = now() - interval '2 hours' where id = $1", silent);
        await factory.ExecuteAsync("update sensors set last_seen_at = now(), battery_percent = 3 where id = $1", weak);
        await factory.Services.GetRequiredService<AlertJob>().RoundAsync(CancellationToken.None);

        var overview = await Poll.UntilAsync(() => client.GetJsonAsync("/api/v1/manage/overview"),
            o => o.GetProperty("lots").GetArrayLength() == 1, IngestKit.Eventually, "the new lot in the availability model");

        overview.GetProperty("lots")[0].Str("name").ShouldBe("Overview lot");
        overview.GetProperty("sensorsOffline").GetInt32().ShouldBe(1);
        overview.GetProperty("sensorsLowBattery").GetInt32().ShouldBe(1);
        // One offline sensor is below the tenant's threshold (5); a low battery is an alert of its lot.
        var alert = overview.GetProperty("alerts").EnumerateArray().ShouldHaveSingleItem();
        alert.Str("kind").ShouldBe("low_battery");
        alert.GetProperty("lotId").GetGuid().ShouldBe(lot);
        alert.Str("status").ShouldBe("open");
        overview.GetProperty("openAlerts").GetInt32().ShouldBe(1);
    }
}
