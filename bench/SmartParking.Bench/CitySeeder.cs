using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using SmartParking.Server.Modules.Sensors;

namespace SmartParking.Bench;

/// <summary>The rectangle the lots are spread over and the nearby queries are asked in.</summary>
internal sealed record CityBox(double MinLat, double MinLng, double LatSpan, double LngSpan)
{
    public (double Lat, double Lng) RandomPoint(Random random) => (MinLat + random.NextDouble() * LatSpan, MinLng + random.NextDouble() * LngSpan);

    /// <summary>About <paramref name="kilometres"/> × <paramref name="kilometres"/> around a centre (degrees of longitude shrink with latitude).</summary>
    public static CityBox Around(double lat, double lng, double kilometres)
    {
        var latSpan = kilometres / 111.32;
        var lngSpan = kilometres / (111.32 * Math.Cos(lat * Math.PI / 180));
        return new CityBox(lat - latSpan / 2, lng - lngSpan / 2, latSpan, lngSpan);
    }
}

internal sealed record SeededLot(Guid Id, double Latitude, double Longitude, Guid[] SpaceIds, string[] Serials, short[] InitialStatus);

internal sealed record SeededCity(Guid TenantId, string GatewayKey, CityBox Box, SeededLot[] Lots)
{
    public int Spaces => Lots.Sum(l => l.SpaceIds.Length);

    /// <summary>Every sensor serial except those of the given lots (kept quiet for the freshness probe).</summary>
    public string[] SerialsExcept(params Guid[] lotIds) => Lots.Where(l => !lotIds.Contains(l.Id)).SelectMany(l => l.Serials).ToArray();
}

/// <summary>
/// Writes the benchmark city straight into PostgreSQL with binary COPY: one tenant, lots spread over a square city,
/// a sensor per space with a secret anyone can recompute, one gateway, and a current status for every space.
/// </summary>
internal static class CitySeeder
{
    public const string GatewayKey = "bench-gateway-key";

    /// <summary>Known device secret: the harness must log devices in over MQTT without asking the server for secrets.</summary>
    public static string SecretOf(string serial) => "bench-" + serial;

    public static string SerialOf(int index) => "BS-" + index.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    // Device secrets and gateway keys are stored the way the server stores them.
    private static byte[] Sha256(string text) => DeviceCredentials.Hash(text);

    public static async Task<SeededCity> SeedAsync(NpgsqlDataSource db, int lotCount, int spaceCount, TextWriter log, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        // Fixed seed: every run benchmarks the same city.
        var random = new Random(20261123);
        var box = CityBox.Around(56.1567, 10.2108, 20);
        var tenantId = Guid.CreateVersion7();
        var now = DateTime.UtcNow;
        var lots = new SeededLot[lotCount];
        var sensorIndex = 0;
        for (var i = 0; i < lotCount; i++)
        {
            // Spread the remainder so the total is exactly what was asked for.
            var spaces = spaceCount / lotCount + (i < spaceCount % lotCount ? 1 : 0);
            var (lat, lng) = box.RandomPoint(random);
            var statuses = new short[spaces];
            for (var k = 0; k < spaces; k++) statuses[k] = (short)(random.NextDouble() < 0.6 ? 1 : 0);
            lots[i] = new SeededLot(Guid.CreateVersion7(), lat, lng,
                Enumerable.Range(0, spaces).Select(_ => Guid.CreateVersion7()).ToArray(),
                Enumerable.Range(0, spaces).Select(_ => SerialOf(++sensorIndex)).ToArray(),
                statuses);
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        // Replica mode skips triggers and foreign-key checks for this session: the catalogue triggers would queue a
        // notification per row for a server that is not running yet, and the rows are consistent by construction.
        await using (var replica = new NpgsqlCommand("set session_replication_role = replica", connection))
            await replica.ExecuteNonQueryAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var tenant = new NpgsqlCommand(
            "insert into tenants (id, name, slug, time_zone, currency) values ($1, 'Bench City', 'bench', 'Europe/Copenhagen', 'DKK')", connection, tx))
        {
            tenant.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await tenant.ExecuteNonQueryAsync(ct);
        }

        // Synchronous row writes fill Npgsql's buffer, which flushes itself; awaiting every field would dominate the cost.
        await using (var copy = await connection.BeginBinaryImportAsync(
            "copy lots (id, tenant_id, name, kind, city, country, latitude, longitude, time_zone, base_hourly_rate, currency, external_id) from stdin (format binary)", ct))
        {
            for (var i = 0; i < lots.Length; i++)
            {
                var lot = lots[i];
                copy.StartRow();
                copy.Write(lot.Id, NpgsqlDbType.Uuid);
                copy.Write(tenantId, NpgsqlDbType.Uuid);
                copy.Write($"Bench lot {i + 1:D5}", NpgsqlDbType.Text);
                copy.Write(i % 3 == 0 ? "on_street" : "off_street", NpgsqlDbType.Text);
                copy.Write("Bench City", NpgsqlDbType.Text);
                copy.Write("DK", NpgsqlDbType.Text);
                copy.Write(lot.Latitude, NpgsqlDbType.Double);
                copy.Write(lot.Longitude, NpgsqlDbType.Double);
                copy.Write("Europe/Copenhagen", NpgsqlDbType.Text);
                copy.Write(20m, NpgsqlDbType.Numeric);
                copy.Write("DKK", NpgsqlDbType.Char);
                copy.Write($"bench-lot-{i + 1:D5}", NpgsqlDbType.Text);
            }
            await copy.CompleteAsync(ct);
        }

        // Mostly standard bays with a few EV and accessible ones, so per-type counts have something to count.
        string TypeOf(int k) => k % 10 == 9 ? "ev" : k % 10 == 8 ? "accessible" : "standard";

        await using (var copy = await connection.BeginBinaryImportAsync(
            "copy spaces (id, tenant_id, lot_id, label, type, level) from stdin (format binary)", ct))
        {
            foreach (var lot in lots)
                for (var k = 0; k < lot.SpaceIds.Length; k++)
                {
                    copy.StartRow();
                    copy.Write(lot.SpaceIds[k], NpgsqlDbType.Uuid);
                    copy.Write(tenantId, NpgsqlDbType.Uuid);
                    copy.Write(lot.Id, NpgsqlDbType.Uuid);
                    copy.Write((k + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Text);
                    copy.Write(TypeOf(k), NpgsqlDbType.Text);
                    copy.Write("0", NpgsqlDbType.Text);
                }
            await copy.CompleteAsync(ct);
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
            "copy sensors (id, tenant_id, serial, kind, space_id, lot_id, secret_hash, last_seen_at) from stdin (format binary)", ct))
        {
            foreach (var lot in lots)
                for (var k = 0; k < lot.SpaceIds.Length; k++)
                {
                    copy.StartRow();
                    copy.Write(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                    copy.Write(tenantId, NpgsqlDbType.Uuid);
                    copy.Write(lot.Serials[k], NpgsqlDbType.Text);
                    copy.Write("magnetometer", NpgsqlDbType.Text);
                    copy.Write(lot.SpaceIds[k], NpgsqlDbType.Uuid);
                    copy.Write(lot.Id, NpgsqlDbType.Uuid);
                    copy.Write(Sha256(SecretOf(lot.Serials[k])), NpgsqlDbType.Bytea);
                    copy.Write(now, NpgsqlDbType.TimestampTz);
                }
            await copy.CompleteAsync(ct);
        }

        // Observed a little in the past, so every reading the benchmarks send is newer and may change the state.
        var observed = now.AddMinutes(-10);
        await using (var copy = await connection.BeginBinaryImportAsync(
            "copy space_status (space_id, tenant_id, lot_id, status, observed_at, changed_at) from stdin (format binary)", ct))
        {
            foreach (var lot in lots)
                for (var k = 0; k < lot.SpaceIds.Length; k++)
                {
                    copy.StartRow();
                    copy.Write(lot.SpaceIds[k], NpgsqlDbType.Uuid);
                    copy.Write(tenantId, NpgsqlDbType.Uuid);
                    copy.Write(lot.Id, NpgsqlDbType.Uuid);
                    copy.Write(lot.InitialStatus[k], NpgsqlDbType.Smallint);
                    copy.Write(observed, NpgsqlDbType.TimestampTz);
                    copy.Write(observed, NpgsqlDbType.TimestampTz);
                }
            await copy.CompleteAsync(ct);
        }

        await using (var gateway = new NpgsqlCommand(
            "insert into gateways (id, tenant_id, name, key_hash) values ($1, $2, 'bench gateway', $3)", connection, tx))
        {
            gateway.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
            gateway.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            gateway.Parameters.Add(new NpgsqlParameter { Value = Sha256(GatewayKey) });
            await gateway.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);

        // Fresh statistics, or the planner guesses at empty tables for the ingest upsert's join.
        await using (var analyze = new NpgsqlCommand("analyze", connection) { CommandTimeout = 300 })
            await analyze.ExecuteNonQueryAsync(ct);

        var city = new SeededCity(tenantId, GatewayKey, box, lots);
        log.WriteLine($"Seeded {lots.Length:N0} lots, {city.Spaces:N0} spaces, {city.Spaces:N0} sensors and one gateway in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        return city;
    }
}
