using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Alerts;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Alerts;

/// <summary>
/// Takings seeded into the ledger as the Payments module writes them (succeeded charges of meter sessions in the lot),
/// each test in a lot whose zone puts the server's clock near local noon, so "today so far" is half a day long.
/// </summary>
public sealed class RevenueDropTests(AlertsFactory factory) : IClassFixture<AlertsFactory>
{
    [Fact]
    public async Task RevenueDrop_TodayFarBelowTheSameWeekdaysAverageByNow_OpensOne()
    {
        var (tenant, driver, noon) = await LotAtNoonAsync();
        foreach (var week in new[] { 1, 2, 3, 4 }) await TakeAsync(tenant, driver, noon.AddDays(-7 * week).AddHours(-2), 100);
        await TakeAsync(tenant, driver, noon.AddHours(-2), 70);

        await factory.RoundAsync();

        var alert = (await tenant.AlertsAsync()).ShouldHaveSingleItem();
        alert.Str("kind").ShouldBe(AlertKinds.RevenueDrop);
        alert.Str("title").ShouldContain("30 % below");
        alert.Str("detail").ShouldStartWith("70.00 DKK today until");
        alert.Str("detail").ShouldContain("100.00 DKK on average by then (100.00, 100.00, 100.00, 100.00)");
    }

    [Fact]
    public async Task RevenueDrop_LessThanTheTenantsPercentBelow_OpensNone()
    {
        var (tenant, driver, noon) = await LotAtNoonAsync();
        foreach (var week in new[] { 1, 2, 3, 4 }) await TakeAsync(tenant, driver, noon.AddDays(-7 * week).AddHours(-2), 100);
        await TakeAsync(tenant, driver, noon.AddHours(-2), 81);

        await factory.RoundAsync();

        (await tenant.AlertsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task RevenueDrop_HistoryTakenOnlyLaterInTheDayOrOnOtherWeekdays_ComparesLikeWithLikeAndStaysQuiet()
    {
        var (tenant, driver, noon) = await LotAtNoonAsync();
        // The same weekdays' takings after this time of day, and a busy other weekday: neither is "by now on a usual day".
        foreach (var week in new[] { 1, 2, 3, 4 }) await TakeAsync(tenant, driver, noon.AddDays(-7 * week).AddHours(3), 500);
        await TakeAsync(tenant, driver, noon.AddDays(-1).AddHours(-2), 500);

        await factory.RoundAsync();

        (await tenant.AlertsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task RevenueDrop_NoHistory_StaysQuiet()
    {
        var (tenant, _, _) = await LotAtNoonAsync();

        await factory.RoundAsync();

        (await tenant.AlertsAsync()).ShouldBeEmpty();
    }

    /// <summary>A tenant whose lot's zone has the server's clock at about 12:00; noon is the clock's now.</summary>
    private async Task<(AlertTenant Tenant, Guid DriverId, DateTimeOffset Noon)> LotAtNoonAsync()
    {
        var now = factory.Clock.GetUtcNow();
        var offset = 12 - now.UtcDateTime.Hour;
        var zone = offset switch { 0 => "Etc/GMT", > 0 => $"Etc/GMT-{offset}", _ => $"Etc/GMT+{-offset}" };
        var tenant = await factory.NewAlertTenantAsync(timeZone: zone);
        var driver = await factory.RegisterDriverAsync();
        return (tenant, driver.Id, now);
    }

    /// <summary>A paid meter session of the lot at the instant.</summary>
    private async Task TakeAsync(AlertTenant tenant, Guid driverId, DateTimeOffset at, decimal amount)
    {
        var session = Guid.NewGuid();
        await factory.ExecuteAsync("""
            insert into meter_sessions (id, tenant_id, lot_id, driver_id, plate, started_at, ends_at, stopped_at, status, rate_per_hour, currency, max_stay_minutes, amount, charged, created_at, updated_at)
            values ($1, $2, $3, $4, 'AB 12 345', $5, $5 + interval '1 hour', $5 + interval '1 hour', 'stopped', 10, 'DKK', 120, $6, true, $5, $5)
            """, session, tenant.TenantId, tenant.LotId, driverId, at, amount);
        await factory.ExecuteAsync("""
            insert into payments (id, tenant_id, driver_id, purpose, reference_id, amount, currency, state, provider, idempotency_key, created_at, updated_at)
            values ($1, $2, $3, 'session', $4, $5, 'DKK', 'succeeded', 'sandbox', $6, $7, $7)
            """, Guid.NewGuid(), tenant.TenantId, driverId, session, amount, Guid.NewGuid().ToString(), at);
    }
}
