using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Availability;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Availability;

/// <summary>A server of its own: no sensor on it has ever reported until the test says so.</summary>
public sealed class QuietSensorsFactory : StoppedClockFactory;

public sealed class ReportRefreshTests(QuietSensorsFactory factory) : IClassFixture<QuietSensorsFactory>
{
    [Fact]
    public async Task NoSensorHeardYet_OrAllGoneQuiet_RefreshReadsNothing_YetEachNewReportIsTakenIn()
    {
        var model = factory.Services.GetRequiredService<AvailabilityModel>();
        var (_, op, _) = await factory.NewTenantWithOperatorAsync();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var space = await op.CreateSpaceAsync(lotId, Payloads.Space("Q1"));
        var body = Payloads.Sensor(Payloads.NewSerial("QUIET"), "magnetometer", space.Id());
        var created = await op.CreateSensorAsync(body);
        var sensor = new TestSensor(lotId, space.Id(), created.GetProperty("sensor").Id(), body["serial"]!.GetValue<string>(), created.Str("deviceSecret"));

        // A city whose sensors are not installed yet must not have every space read again on every round.
        Assert.Equal(0, await model.RefreshReportsAsync(CancellationToken.None));

        using (var device = factory.DeviceClient(sensor)) await device.IngestAsync(Batch(Reading(null, "occupied")));
        Assert.True(await model.RefreshReportsAsync(CancellationToken.None) >= 1);
        using var anonymous = factory.Anonymous();
        var shown = await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
        Assert.Equal(1, shown.GetProperty("confidence").GetDouble());

        // Change-only sensors at night, or a gateway down: the last reports heard must not be read again every round.
        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        await model.RefreshReportsAsync(CancellationToken.None);
        Assert.Equal(0, await model.RefreshReportsAsync(CancellationToken.None));
        using (var device = factory.DeviceClient(sensor)) await device.IngestAsync(Batch(Reading(null, "occupied")));
        Assert.True(await model.RefreshReportsAsync(CancellationToken.None) >= 1, "a report heard after the quiet spell is read");
        shown = await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
        Assert.Equal(1, shown.GetProperty("confidence").GetDouble());
    }
}
