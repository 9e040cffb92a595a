using Npgsql;
using SmartParking.Server.Platform.Hosting;

namespace SmartParking.Server.Platform.Protection;

/// <summary>
/// Refuses to start with keys that cannot read the database's data: a blind-index key other than the one the indexes
/// were made with (every equality lookup would silently miss), or a key version removed while data still uses it.
/// Records the active version as in use, so the sweep knows when an older one may go.
/// </summary>
public sealed class ProtectionStartupCheck(NpgsqlDataSource db, FieldProtector protector, ProtectionSweep sweep) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var fingerprint = protector.IndexKeyFingerprint();
        // Recorded, then read back in a statement of its own: when nodes start together on a new database, one records its
        // key and the others wait on its row, and a statement that read in the same snapshot as it waited would find no
        // key at all (so a wrong one).
        await using (var record = new NpgsqlCommand("insert into protection_settings (id, index_key_fingerprint) values (true, $1) on conflict (id) do nothing", connection, tx))
        {
            record.Parameters.Add(new() { Value = fingerprint });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var index = new NpgsqlCommand("select index_key_fingerprint from protection_settings", connection, tx))
        {
            if (await index.ExecuteScalarAsync(cancellationToken) is not byte[] recorded || !recorded.AsSpan().SequenceEqual(fingerprint))
                throw new StartupFailure("Protection:IndexKey is not the key this database's blind indexes were made with: sign-in by e-mail and plate " +
                    "lookups would find nothing. Put the original Protection:IndexKey back (it cannot be rotated; rotate Protection:Keys instead).");
        }
        var inUse = new List<byte>();
        await using (var versions = new NpgsqlCommand("select version from protection_key_versions where retired_at is null order by version", connection, tx))
        await using (var reader = await versions.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken)) inUse.Add((byte)reader.GetInt16(0));
        var missing = inUse.Where(v => !protector.ConfiguredVersions.Contains(v)).ToList();
        if (missing.Count > 0)
            throw new StartupFailure($"Data in the database is encrypted under key version {string.Join(", ", missing)}, which Protection:Keys no longer has: " +
                $"put Protection:Keys:{missing[0]} back. Keep an old key until the server logs that no data uses it any more (after a rotation's re-encryption).");
        await using (var active = new NpgsqlCommand(
            "insert into protection_key_versions (version, activated_at) values ($1, now()) on conflict (version) do update set retired_at = null", connection, tx))
        {
            active.Parameters.Add(new() { Value = (short)protector.ActiveVersion });
            await active.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        sweep.Wake();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
