using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Sensors;

namespace SmartParking.Server.Modules.Demo;

/// <summary>
/// Makes the demo city look alive on a laptop: a few demo spaces a second change state through the real ingest
/// pipeline, following a daily curve (busy daytime, quiet night) in the city's time zone. Only the sensors the demo
/// seeded (demo_sensors) are driven; an operator's own sensors in the demo tenant report for themselves.
/// </summary>
public sealed class DemoTraffic(NpgsqlDataSource db, IReadingIngest pipeline, IOptions<DemoOptions> options, TimeProvider time, ILogger<DemoTraffic> logger) : BackgroundService
{
    private sealed class DemoSpace
    {
        public Guid SpaceId { get; init; }
        public Guid SensorId { get; init; }
        public Guid TenantId { get; init; }
        public Guid LotId { get; init; }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Seed) return;
        List<DemoSpace> spaces;
        await using (var connection = await db.OpenConnectionAsync(stoppingToken))
            spaces = (await connection.QueryAsync<DemoSpace>(new CommandDefinition("""
                select s.id as space_id, se.id as sensor_id, s.tenant_id, s.lot_id
                from demo_sensors d join sensors se on se.id = d.sensor_id join spaces s on s.id = se.space_id
                """, cancellationToken: stoppingToken))).ToList();
        if (spaces.Count == 0) return;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(DemoCity.TimeZone);
        var random = new Random();
        // Give every space a plausible starting state so the first screen is not all "unknown".
        await SendAsync(spaces.Select(s => Reading(s, random.NextDouble() < Occupancy(zone))).ToList(), stoppingToken);
        // Zero changes a second keeps that starting state still (the browser tests want a city that does not move).
        if (options.Value.LiveReadingsPerSecond <= 0) return;
        logger.LogInformation("Demo traffic: {Count} sensors reporting, about {Rate} changes a second", spaces.Count, options.Value.LiveReadingsPerSecond);

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        var tick = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // Real sensors send a heartbeat every 30 s; without one the health sweep would mark them offline.
            if (tick++ % 30 == 0) await HeartbeatAsync(stoppingToken);
            var target = Occupancy(zone);
            var batch = Enumerable.Range(0, options.Value.LiveReadingsPerSecond)
                .Select(_ => spaces[random.Next(spaces.Count)])
                .Select(s => Reading(s, random.NextDouble() < target))
                .ToList();
            await SendAsync(batch, stoppingToken);
        }

        Reading Reading(DemoSpace s, bool occupied)
        {
            var now = time.GetUtcNow();
            return new Reading(s.SpaceId, s.SensorId, s.TenantId, s.LotId, occupied ? SpaceStatus.Occupied : SpaceStatus.Free, now, now, ReadingSource.Mqtt);
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update sensors set last_seen_at = now() where id in (select sensor_id from demo_sensors)", cancellationToken: ct));
    }

    private async Task SendAsync(List<Reading> readings, CancellationToken ct)
    {
        foreach (var chunk in readings.Chunk(1000))
            if (pipeline.TrySubmitBatch(chunk, out var done)) await done.WaitAsync(ct);
    }

    private double Occupancy(TimeZoneInfo zone) => DemoCity.Occupancy(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime);
}
