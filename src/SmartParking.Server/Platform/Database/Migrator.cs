using System.Reflection;
using Npgsql;

namespace SmartParking.Server.Platform.Database;

public sealed class MigrationException(string file, string message, Exception inner)
    : Exception($"Migration {file} failed and was rolled back: {message}", inner)
{
    public string File { get; } = file;
}

/// <summary>Applies the embedded Migrations/NNNN_name.sql files in order, each in its own transaction, and records them.</summary>
public sealed class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    // Any constant works; it only has to be the same on every replica so that one migrates at a time.
    private const long AdvisoryLockKey = 0x5350_4D49_4752;

    /// <summary>The migrations compiled into the server, in the order they apply.</summary>
    public static IReadOnlyList<(string Version, string Sql)> Embedded { get; } = LoadEmbedded();

    private readonly IReadOnlyList<(string Version, string Sql)> _migrations = Embedded;

    public IReadOnlyList<string> Versions => _migrations.Select(m => m.Version).ToList();

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await Execute(connection, "select pg_advisory_lock($1)", AdvisoryLockKey, cancellationToken);
        try
        {
            await Execute(connection, """
                create table if not exists schema_migrations (
                    version text primary key,
                    applied_at timestamptz not null default now())
                """, null, cancellationToken);
            var applied = await AppliedAsync(connection, cancellationToken);
            foreach (var (version, sql) in _migrations)
            {
                if (applied.Contains(version)) continue;
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                try
                {
                    await using (var command = new NpgsqlCommand(sql, connection, tx)) await command.ExecuteNonQueryAsync(cancellationToken);
                    await using (var record = new NpgsqlCommand("insert into schema_migrations (version) values ($1)", connection, tx) { Parameters = { new() { Value = version } } })
                        await record.ExecuteNonQueryAsync(cancellationToken);
                    await tx.CommitAsync(cancellationToken);
                    logger.LogInformation("Applied migration {Migration}", version);
                }
                catch (PostgresException e)
                {
                    await tx.RollbackAsync(CancellationToken.None);
                    var where = e.Position > 0 ? $" (at character {e.Position})" : "";
                    throw new MigrationException(version, $"{e.SqlState}: {e.MessageText}{where}", e);
                }
            }
        }
        finally
        {
            await Execute(connection, "select pg_advisory_unlock($1)", AdvisoryLockKey, CancellationToken.None);
        }
    }

    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("select to_regclass('schema_migrations') is not null", connection);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!) return Versions;
        var applied = await AppliedAsync(connection, cancellationToken);
        return Versions.Where(v => !applied.Contains(v)).ToList();
    }

    private static async Task<HashSet<string>> AppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new HashSet<string>();
        await using var command = new NpgsqlCommand("select version from schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetString(0));
        return applied;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, long? parameter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (parameter is { } p) command.Parameters.Add(new NpgsqlParameter { Value = p });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<(string Version, string Sql)> LoadEmbedded()
    {
        var assembly = typeof(Migrator).Assembly;
        const string prefix = "SmartParking.Server.Migrations.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (n[prefix.Length..], reader.ReadToEnd());
            })
            .ToList();
    }
}
