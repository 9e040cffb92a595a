using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>The server's Migrator against empty databases (not the template).</summary>
public sealed class MigrationTests : IAsyncLifetime
{
    private readonly List<TestDatabase> _databases = [];
    private readonly List<NpgsqlDataSource> _dataSources = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var dataSource in _dataSources) await dataSource.DisposeAsync();
        foreach (var database in _databases) await database.DropAsync();
    }

    private async Task<NpgsqlDataSource> EmptyDatabaseAsync()
    {
        var database = await TestPostgres.CreateEmptyDatabaseAsync(nameof(MigrationTests));
        _databases.Add(database);
        var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        _dataSources.Add(dataSource);
        return dataSource;
    }

    private static Migrator MigratorFor(NpgsqlDataSource dataSource) => new(dataSource, NullLogger<Migrator>.Instance);

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<(string Version, DateTime AppliedAt)>> AppliedAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("select version, applied_at from schema_migrations order by version");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, DateTime)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetDateTime(1)));
        return rows;
    }

    [Fact]
    public async Task Migrate_EmptyDatabase_AppliesEveryMigrationAndRecordsIt()
    {
        var dataSource = await EmptyDatabaseAsync();
        var migrator = MigratorFor(dataSource);
        migrator.Versions.ShouldContain("0001_init.sql");
        migrator.Versions.ShouldBe(migrator.Versions.Order(StringComparer.Ordinal).ToList());

        await migrator.MigrateAsync(CancellationToken.None);

        (await AppliedAsync(dataSource)).Select(a => a.Version).ShouldBe(migrator.Versions);
        (await migrator.PendingAsync(CancellationToken.None)).ShouldBeEmpty();
        foreach (var table in new[] { "tenants", "users", "refresh_tokens", "lots", "zones", "spaces", "sensors", "audit_log", "platform_secrets" })
            (await ScalarAsync<bool>(dataSource, $"select to_regclass('{table}') is not null")).ShouldBeTrue(table);
        (await ScalarAsync<long>(dataSource, "select count(*) from pg_extension where extname = 'btree_gist'")).ShouldBe(1);
    }

    [Fact]
    public async Task Migrate_SecondRun_IsANoOp()
    {
        var dataSource = await EmptyDatabaseAsync();
        await MigratorFor(dataSource).MigrateAsync(CancellationToken.None);
        var first = await AppliedAsync(dataSource);
        await using (var seed = dataSource.CreateCommand("insert into tenants (id, name, slug, time_zone, currency) values (gen_random_uuid(), 'Kept', 'kept', 'UTC', 'EUR')"))
            await seed.ExecuteNonQueryAsync();

        await MigratorFor(dataSource).MigrateAsync(CancellationToken.None);

        (await AppliedAsync(dataSource)).ShouldBe(first);
        (await ScalarAsync<long>(dataSource, "select count(*) from tenants where slug = 'kept'")).ShouldBe(1);
    }

    [Fact]
    public async Task Migrate_ConflictingObjectExists_ThrowsMigrationExceptionNamingFileAndErrorAndRollsBack()
    {
        var dataSource = await EmptyDatabaseAsync();
        await using (var conflict = dataSource.CreateCommand("create table tenants (legacy_id int primary key)"))
            await conflict.ExecuteNonQueryAsync();

        var error = await Should.ThrowAsync<MigrationException>(() => MigratorFor(dataSource).MigrateAsync(CancellationToken.None));

        error.File.ShouldBe("0001_init.sql");
        error.Message.ShouldContain("0001_init.sql");
        error.Message.ShouldContain("42P07"); // duplicate_table
        error.Message.ShouldContain("\"tenants\" already exists");
        var inner = error.InnerException.ShouldBeOfType<PostgresException>();
        inner.SqlState.ShouldBe(PostgresErrorCodes.DuplicateTable);
        // Everything the migration did before the failing statement is gone, and it is not recorded.
        (await ScalarAsync<bool>(dataSource, "select to_regclass('platform_secrets') is null")).ShouldBeTrue();
        (await ScalarAsync<long>(dataSource, "select count(*) from pg_extension where extname = 'btree_gist'")).ShouldBe(0);
        (await ScalarAsync<long>(dataSource, "select count(*) from schema_migrations")).ShouldBe(0);
        (await ScalarAsync<long>(dataSource, "select count(*) from information_schema.columns where table_name = 'tenants'")).ShouldBe(1);
        (await MigratorFor(dataSource).PendingAsync(CancellationToken.None)).ShouldContain("0001_init.sql");
    }

    [Fact]
    public async Task Migrate_AfterFailureIsFixed_AppliesOnRetry()
    {
        var dataSource = await EmptyDatabaseAsync();
        await using (var conflict = dataSource.CreateCommand("create table lots (id int)"))
            await conflict.ExecuteNonQueryAsync();
        await Should.ThrowAsync<MigrationException>(() => MigratorFor(dataSource).MigrateAsync(CancellationToken.None));
        await using (var fix = dataSource.CreateCommand("drop table lots"))
            await fix.ExecuteNonQueryAsync();

        await MigratorFor(dataSource).MigrateAsync(CancellationToken.None);

        (await MigratorFor(dataSource).PendingAsync(CancellationToken.None)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Migrate_TwoReplicasAtOnce_ApplyEachMigrationOnce()
    {
        var dataSource = await EmptyDatabaseAsync();
        var migrator = MigratorFor(dataSource);

        await Task.WhenAll(MigratorFor(dataSource).MigrateAsync(CancellationToken.None), MigratorFor(dataSource).MigrateAsync(CancellationToken.None));

        (await AppliedAsync(dataSource)).Select(a => a.Version).ShouldBe(migrator.Versions);
        // The advisory lock was released: a third run gets it and finds nothing to do.
        await migrator.MigrateAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Pending_FreshDatabase_ListsEverythingWithoutCreatingTables()
    {
        var dataSource = await EmptyDatabaseAsync();
        var migrator = MigratorFor(dataSource);

        (await migrator.PendingAsync(CancellationToken.None)).ShouldBe(migrator.Versions);

        (await ScalarAsync<bool>(dataSource, "select to_regclass('schema_migrations') is null")).ShouldBeTrue();
    }

    [Fact]
    public async Task Migrate_SessionLimits_BecomeWholeWeekMaxStayRulesAndTheTableGoes()
    {
        var dataSource = await EmptyDatabaseAsync();
        // Up to the migration before zone rules, by hand, as an older server would have left the database.
        await using (var create = dataSource.CreateCommand("create table schema_migrations (version text primary key, applied_at timestamptz not null default now())"))
            await create.ExecuteNonQueryAsync();
        foreach (var (version, sql) in Migrator.Embedded.Where(m => string.CompareOrdinal(m.Version, "0014") < 0))
        {
            await using (var apply = dataSource.CreateCommand(sql)) await apply.ExecuteNonQueryAsync();
            await using var record = dataSource.CreateCommand("insert into schema_migrations (version) values ($1)");
            record.Parameters.AddWithValue(version);
            await record.ExecuteNonQueryAsync();
        }
        await using (var seed = dataSource.CreateCommand("""
            insert into tenants (id, name, slug, time_zone, currency) values ('00000000-0000-0000-0000-00000000000a', 'T', 't', 'UTC', 'EUR');
            insert into lots (id, tenant_id, name, kind, latitude, longitude, time_zone, base_hourly_rate, currency)
            values ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000a', 'L', 'on_street', 0, 0, 'Europe/Paris', 1, 'EUR');
            insert into zones (id, tenant_id, lot_id, code, name)
            values ('00000000-0000-0000-0000-00000000000c', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b', 'Z', 'Z');
            insert into session_limits (lot_id, zone_id, tenant_id, max_stay_minutes) values
                ('00000000-0000-0000-0000-00000000000b', null, '00000000-0000-0000-0000-00000000000a', 180),
                ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000c', '00000000-0000-0000-0000-00000000000a', 60);
            """)) await seed.ExecuteNonQueryAsync();

        await MigratorFor(dataSource).MigrateAsync(CancellationToken.None);

        (await ScalarAsync<string>(dataSource, """
            select string_agg(concat_ws(' ', coalesce(zone_id::text, 'lot'), kind, array_to_string(days, ','), from_minute, to_minute, max_stay_minutes), '; '
                              order by zone_id nulls first)
            from zone_rules
            """)).ShouldBe("lot max_stay mon,tue,wed,thu,fri,sat,sun 0 1440 180; 00000000-0000-0000-0000-00000000000c max_stay mon,tue,wed,thu,fri,sat,sun 0 1440 60");
        (await ScalarAsync<bool>(dataSource, "select to_regclass('session_limits') is null")).ShouldBeTrue();
    }
}
