using System.Xml.Linq;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Database;

namespace SmartParking.Server.Platform.Protection;

/// <summary>
/// Seals clear text left in registered columns and re-seals values under keys older than the active one, a batch per
/// transaction, on one node at a time. It keeps no progress of its own: each row says whether it is done (its clear
/// column is empty, its version byte is the active key), so a node killed mid-batch loses only that uncommitted batch
/// and the next run, on any node, carries on. Reads never wait for it: stores open every configured version and fall
/// back to the clear column until a row is reached. A key version no row uses any more is marked retired, and only then
/// may it be removed from the configuration.
/// </summary>
public sealed class ProtectionSweep(NpgsqlDataSource db, FieldProtector protector, IEnumerable<ProtectedColumn> columns, IOptions<ProtectionOptions> options,
    StartupState startup, ILogger<ProtectionSweep> logger) : BackgroundService
{
    private const long LockKey = 0x5350_5357_4550; // "SPSWEP"

    private readonly IReadOnlyList<ProtectedColumn> _columns = columns.ToList();
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Runs a sweep now rather than at the next interval (after a key change, and for tests).</summary>
    public void Wake() => _wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, options.Value.SweepIntervalSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (startup.MigrationsApplied) await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The rows stay as they were (each batch is one transaction); the next pass tries again.
                logger.LogError(e, "Field encryption sweep failed; trying again in {Interval}", interval);
            }
            try { await _wake.WaitAsync(interval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One full sweep, if no other node is running one; the number of rows sealed or re-sealed.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using (var take = new NpgsqlCommand($"select pg_try_advisory_lock({LockKey})", connection))
            if (!(bool)(await take.ExecuteScalarAsync(ct))!) return 0;
        try
        {
            var total = 0;
            foreach (var column in _columns)
            {
                if (column.ClearColumn is not null) total += await RepeatAsync(() => SealClearBatchAsync(connection, column, ct));
                total += await RepeatAsync(() => ResealBatchAsync(connection, column, ct));
            }
            total += await ResealKeyRingAsync(connection, ct);
            await RetireUnusedVersionsAsync(connection, ct);
            if (total > 0) logger.LogInformation("Field encryption sweep sealed or re-sealed {Rows} values under key version {Version}", total, protector.ActiveVersion);
            return total;
        }
        finally
        {
            await using var release = new NpgsqlCommand($"select pg_advisory_unlock({LockKey})", connection);
            await release.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    private static async Task<int> RepeatAsync(Func<Task<int>> batch)
    {
        var total = 0;
        for (int done; (done = await batch()) > 0;) total += done;
        return total;
    }

    private async Task<int> SealClearBatchAsync(NpgsqlConnection connection, ProtectedColumn column, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rows = new List<(string Row, string Clear)>();
        await using (var select = new NpgsqlCommand(
            $"select ctid::text, {column.ClearColumn}::text from {column.Scope.Table} where {column.ClearColumn} is not null{(column.ClearNotPersonalSql is { } keep ? $" and not ({keep})" : "")} limit $1 for update skip locked", connection, tx))
        {
            select.Parameters.Add(new() { Value = options.Value.SweepBatchSize });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetString(1)));
        }
        if (rows.Count == 0) return 0;
        var emptied = new[] { column.ClearColumn }.Concat(column.AlsoEmptied ?? []).Select(c => $", {c} = null");
        var index = column.IndexColumn is null ? "" : $", {column.IndexColumn} = u.blind_index";
        await using (var update = new NpgsqlCommand($"""
            update {column.Scope.Table} t set {column.SealedColumn} = u.sealed{index}{string.Concat(emptied)}
            from unnest($1::text[], $2::bytea[], $3::bytea[]) as u(row_id, sealed, blind_index) where t.ctid = u.row_id::tid
            """, connection, tx))
        {
            update.Parameters.Add(new() { Value = rows.Select(r => r.Row).ToArray() });
            update.Parameters.Add(new() { Value = rows.Select(r => protector.Seal(r.Clear, column.Scope)).ToArray() });
            update.Parameters.Add(new()
            {
                Value = rows.Select(r => column.IndexColumn is null ? [] : protector.BlindIndex(column.Normalise?.Invoke(r.Clear) ?? r.Clear, column.Scope)).ToArray(),
            });
            await update.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return rows.Count;
    }

    private async Task<int> ResealBatchAsync(NpgsqlConnection connection, ProtectedColumn column, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rows = new List<(string Row, byte[] Sealed)>();
        await using (var select = new NpgsqlCommand($"""
            select ctid::text, {column.SealedColumn} from {column.Scope.Table}
            where {column.SealedColumn} is not null and get_byte({column.SealedColumn}, 0) <> $2 limit $1 for update skip locked
            """, connection, tx))
        {
            select.Parameters.Add(new() { Value = options.Value.SweepBatchSize });
            select.Parameters.Add(new() { Value = (int)protector.ActiveVersion });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetFieldValue<byte[]>(1)));
        }
        if (rows.Count == 0) return 0;
        await using (var update = new NpgsqlCommand($"""
            update {column.Scope.Table} t set {column.SealedColumn} = u.sealed
            from unnest($1::text[], $2::bytea[]) as u(row_id, sealed) where t.ctid = u.row_id::tid
            """, connection, tx))
        {
            update.Parameters.Add(new() { Value = rows.Select(r => r.Row).ToArray() });
            update.Parameters.Add(new() { Value = rows.Select(r => protector.SealBytes(protector.OpenBytes(r.Sealed, column.Scope), column.Scope)).ToArray() });
            await update.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return rows.Count;
    }

    /// <summary>
    /// Data-protection keys whose secret is still in clear (stored before the ring was encrypted) are sealed, and those
    /// sealed under an older version re-sealed (the ring is small: one pass).
    /// </summary>
    private async Task<int> ResealKeyRingAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        var changed = new List<(string Name, XElement Xml)>();
        await using (var select = new NpgsqlCommand("select name, xml from data_protection_keys for update", connection, tx))
        await using (var reader = await select.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                var xml = XElement.Parse(reader.GetString(1));
                if (KeyRingEncryptor.Reseal(protector, xml)) changed.Add((reader.GetString(0), xml));
            }
        foreach (var (name, xml) in changed)
        {
            await using var update = new NpgsqlCommand("update data_protection_keys set xml = $2 where name = $1", connection, tx);
            update.Parameters.Add(new() { Value = name });
            update.Parameters.Add(new() { Value = xml.ToString(SaveOptions.DisableFormatting) });
            await update.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return changed.Count;
    }

    /// <summary>Marks versions other than the active one retired once no sealed value uses them, so their keys may go.</summary>
    private async Task RetireUnusedVersionsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var candidates = new List<int>();
        await using (var select = new NpgsqlCommand("select version from protection_key_versions where retired_at is null and version <> $1", connection))
        {
            select.Parameters.Add(new() { Value = (short)protector.ActiveVersion });
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) candidates.Add(reader.GetInt16(0));
        }
        foreach (var version in candidates)
        {
            var inUse = false;
            foreach (var column in _columns)
            {
                await using var check = new NpgsqlCommand(
                    $"select exists (select 1 from {column.Scope.Table} where {column.SealedColumn} is not null and get_byte({column.SealedColumn}, 0) = $1)", connection);
                check.Parameters.Add(new() { Value = version });
                if (inUse = (bool)(await check.ExecuteScalarAsync(ct))!) break;
            }
            if (!inUse)
            {
                await using var ring = new NpgsqlCommand("select exists (select 1 from data_protection_keys where xml like $1)", connection);
                ring.Parameters.Add(new() { Value = $"%{KeyRingEncryptor.VersionAttribute}=\"{version}\"%" });
                inUse = (bool)(await ring.ExecuteScalarAsync(ct))!;
            }
            if (inUse) continue;
            await using var retire = new NpgsqlCommand("update protection_key_versions set retired_at = now() where version = $1 and retired_at is null", connection);
            retire.Parameters.Add(new() { Value = (short)version });
            await retire.ExecuteNonQueryAsync(ct);
            logger.LogInformation("No data is encrypted under key version {Version} any more: Protection:Keys:{Version} may be removed", version, version);
        }
    }
}
