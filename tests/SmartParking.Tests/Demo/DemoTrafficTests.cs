using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Demo;

/// <summary>
/// Demo traffic drives the sensors the demo seeded and nothing else: an operator's own sensor in the demo tenant gets
/// no made-up readings or heartbeats, neither on the run that seeded the city nor after a restart.
/// </summary>
public sealed class DemoTrafficTests
{
    private const int ReadingsPerSecond = 50;

    [Fact]
    public async Task Restart_OperatorsOwnSensorInTheDemoTenant_GetsNoDemoReadingsOrHeartbeats()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "smartparking-demo-traffic-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?>
        {
            ["Demo:Seed"] = "true",
            ["Demo:LiveReadingsPerSecond"] = ReadingsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Demo:HistoryDays"] = "0",
            ["Database:DataDirectory"] = dataDirectory,
        };
        var first = new DemoTrafficFactory(settings);
        await first.InitializeAsync();
        try
        {
            var demoTenant = await first.ScalarAsync<Guid>("select tenant_id from sensors where serial like 'AAR-%' limit 1");
            var op = await first.SeedOperatorAsync(demoTenant);
            using var client = first.ClientFor(op);
            var lot = await client.CreateLotAsync(Payloads.Lot("Operator's own garage"));
            var space = await client.CreateSpaceAsync(lot.Id());
            var serial = Payloads.NewSerial("OWN");
            var sensor = (await client.CreateSensorAsync(Payloads.Sensor(serial, spaceId: space.Id()))).GetProperty("sensor").Id();
            var seeded = await first.ScalarAsync<long>("select count(*) from sensors where serial like 'AAR-%'");

            // The server stops; its database stays, as on a real restart.
            await first.DisposeAsync();
            var restartedAt = await first.ScalarAsync<DateTime>("select now()");
            await using var second = new SecondNodeFactory(first.Database, settings);
            await second.InitializeAsync();

            // Every seeded sensor has had its starting state since the restart, and live changes have followed (so the
            // first heartbeat has run too).
            await Poll.UntilAsync(
                () => second.ScalarAsync<long>("select count(*) from sensor_readings where received_at >= $1", restartedAt),
                count => count >= seeded + 2 * ReadingsPerSecond, TimeSpan.FromSeconds(60), "demo traffic after the restart");
            (await second.ScalarAsync<long>("""
                select count(distinct r.sensor_id) from sensor_readings r join sensors se on se.id = r.sensor_id
                where r.received_at >= $1 and se.serial like 'AAR-%'
                """, restartedAt)).ShouldBe(seeded);

            (await second.ScalarAsync<long>("select count(*) from sensor_readings where space_id = $1 or sensor_id = $2", space.Id(), sensor)).ShouldBe(0);
            (await second.ScalarAsync<bool>("select last_seen_at is null from sensors where id = $1", sensor)).ShouldBeTrue();
        }
        finally
        {
            await ((IAsyncLifetime)first).DisposeAsync();
            if (Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private sealed class DemoTrafficFactory(IReadOnlyDictionary<string, string?> settings) : ApiFactory
    {
        protected override void ConfigureSettings(IDictionary<string, string?> target)
        {
            foreach (var (key, value) in settings) target[key] = value;
        }
    }
}
