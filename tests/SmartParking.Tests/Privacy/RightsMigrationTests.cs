using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace SmartParking.Tests.Privacy;

/// <summary>Migration 0041 on a database an older server left: marketing consent and its history move to the Privacy module.</summary>
public sealed class RightsMigrationTests : IAsyncLifetime
{
    private TestDatabase? _database;
    private NpgsqlDataSource? _sql;

    public async Task InitializeAsync()
    {
        _database = await TestPostgres.CreateEmptyDatabaseAsync(nameof(RightsMigrationTests));
        _sql = NpgsqlDataSource.Create(_database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_sql is not null) await _sql.DisposeAsync();
        if (_database is not null) await _database.DropAsync();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _sql!.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _sql!.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Migrate_MarketingConsentHistory_MovesToPrivacyConsents_AndLastActivityComesFromSignIns()
    {
        await ExecuteAsync("create table schema_migrations (version text primary key, applied_at timestamptz not null default now())");
        foreach (var (version, sql) in Migrator.Embedded.Where(m => string.CompareOrdinal(m.Version, "0041") < 0))
        {
            await ExecuteAsync(sql);
            await ExecuteAsync($"insert into schema_migrations (version) values ('{version}')");
        }
        await ExecuteAsync("""
            insert into users (id, email, normalized_email, security_stamp, concurrency_stamp, role, created_at)
            values ('00000000-0000-0000-0000-0000000000d1', 'a@example.com', 'A@EXAMPLE.COM', 's', 'c', 'driver', '2024-01-01T00:00:00Z'),
                   ('00000000-0000-0000-0000-0000000000d2', 'b@example.com', 'B@EXAMPLE.COM', 's', 'c', 'driver', '2024-02-01T00:00:00Z');
            insert into refresh_tokens (id, user_id, family_id, token_hash, mfa, created_at, expires_at)
            values (gen_random_uuid(), '00000000-0000-0000-0000-0000000000d1', gen_random_uuid(), '\x01', false, '2025-06-01T00:00:00Z', '2025-07-01T00:00:00Z');
            insert into notification_preferences (driver_id, marketing, updated_at) values ('00000000-0000-0000-0000-0000000000d1', false, now());
            insert into notification_consents (driver_id, marketing, source, policy_version, recorded_at) values
                ('00000000-0000-0000-0000-0000000000d1', true, 'web', '2025-01', '2025-01-10T00:00:00Z'),
                ('00000000-0000-0000-0000-0000000000d1', false, 'api', '2025-03', '2025-03-10T00:00:00Z');
            """);

        await new Migrator(_sql!, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);

        (await ScalarAsync<string>("""
            select string_agg(concat_ws(' ', purpose, granted, source, policy_version, to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD')), '; ' order by recorded_at)
            from privacy_consents where user_id = '00000000-0000-0000-0000-0000000000d1'
            """)).ShouldBe("marketing_notifications t web 2025-01 2025-01-10; marketing_notifications f api 2025-03 2025-03-10");
        (await ScalarAsync<bool>("select to_regclass('notification_consents') is null")).ShouldBeTrue();
        (await ScalarAsync<long>("select count(*) from information_schema.columns where table_name = 'notification_preferences' and column_name = 'marketing'")).ShouldBe(0);
        (await ScalarAsync<string>("""
            select string_agg(to_char(last_active_at at time zone 'UTC', 'YYYY-MM-DD'), ',' order by id) from users
            """)).ShouldBe("2025-06-01,2024-02-01", "the last sign-in, else when the account was made");
    }
}
