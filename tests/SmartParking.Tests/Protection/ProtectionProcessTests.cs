using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using SmartParking.Tests.Deployment;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Protection;

/// <summary>
/// The real server process with its field-encryption keys: wrong keys stop start-up with one line naming the setting,
/// and a key rotation killed (SIGKILL) half-way resumes on the next start and completes, with the data readable throughout.
/// </summary>
[LongRunFirst]
public sealed class ProtectionProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);
    private static readonly string Key2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private TestDatabase _database = null!;
    // One pooled source for the test's own queries: a fresh source per probe opened a new backend every 10 ms
    // on a box busy with the sweep, and one such open timed out in CI.
    private Npgsql.NpgsqlDataSource _data = null!;

    public async Task InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync(nameof(ProtectionProcessTests));
        _data = Npgsql.NpgsqlDataSource.Create(_database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _data.DisposeAsync();
        await _database.DropAsync();
    }

    private static Dictionary<string, string> Keys(string active, params (string Version, string Key)[] keys)
    {
        var environment = keys.ToDictionary(k => $"Protection__Keys__{k.Version}", k => k.Key);
        environment["Protection__ActiveKey"] = active;
        environment["Protection__IndexKey"] = TestProtectionKeys.IndexKey;
        return environment;
    }

    private ServerNode Node(Dictionary<string, string>? keys = null, params string[] arguments) =>
        ServerNode.Start(_database.ConnectionString, arguments, environment: keys, protectionKeys: keys is null);

    private static async Task<string> StopsWithOneLineAsync(ServerNode node, string expected)
    {
        await using (node)
        {
            var exitCode = await node.ExitCodeAsync(Start);
            var output = node.Output;
            exitCode.ShouldBe(2, output);
            output.ShouldNotContain("   at ", Case.Sensitive, "a stack trace was printed:\n" + output);
            var problems = output.Split('\n').Where(l => l.StartsWith("Start-up stopped: ", StringComparison.Ordinal)).ToList();
            problems.Count.ShouldBe(1, output);
            problems[0].ShouldContain(expected, Case.Sensitive, output);
            return problems[0];
        }
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var command = _data.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _data.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Production_WithoutKeys_RefusesToStart()
    {
        var line = await StopsWithOneLineAsync(ServerNode.Start(_database.ConnectionString, [], protectionKeys: false), "Protection:Keys is not set");
        line.ShouldContain("Protection:IndexKey");
    }

    [Theory]
    [InlineData("not base64!", "1", "Protection:Keys:1 is not valid base64")]
    [InlineData("c2hvcnQ=", "1", "Protection:Keys:1 is 5 bytes")]
    [InlineData(null, "3", "Protection:ActiveKey '3' is not a configured key version (configured: 1)")]
    public async Task WrongKeyConfiguration_RefusesToStartNamingTheSetting(string? key, string active, string expected)
    {
        await StopsWithOneLineAsync(Node(Keys(active, ("1", key ?? TestProtectionKeys.Key1))), expected);
    }

    [Fact]
    public async Task DataProtectionKeyRing_CreatedEncrypted_WithoutTheUnencryptedWarning()
    {
        await using var node = Node();
        await node.WaitUntilReadyAsync(Start);
        using var client = new HttpClient { BaseAddress = node.BaseUri };

        // The sign-in page's antiforgery token makes the key ring's first key.
        (await client.GetAsync("/account/login")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await ScalarAsync("select count(*) from data_protection_keys where xml like '%<sealedSecret keyVersion=\"1\"%'")).ShouldBe(1);
        node.Output.ShouldNotContain("unencrypted form");
    }

    [Fact]
    public async Task ChangedIndexKey_RefusesToStart()
    {
        await using (var first = Node()) await first.WaitUntilReadyAsync(Start);
        var changed = Keys("1", ("1", TestProtectionKeys.Key1));
        changed["Protection__IndexKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        await StopsWithOneLineAsync(Node(changed), "Protection:IndexKey is not the key this database's blind indexes were made with");
    }

    [Fact]
    public async Task Rotation_KilledHalfWay_ResumesAndCompletes_DataReadableThroughout()
    {
        const int People = 5_000;
        var email = Accounts.NewEmail("rotation");
        await using (var first = Node())
        {
            await first.WaitUntilReadyAsync(Start);
            using var client = new HttpClient { BaseAddress = first.BaseUri };
            await (await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password = Accounts.Password })).ShouldHaveStatusAsync(HttpStatusCode.Created);
            // Many rows as they were before encryption; the sweep seals them under version 1.
            await ExecuteAsync($"""
                insert into users (id, email, normalized_email, security_stamp, concurrency_stamp, role)
                select gen_random_uuid(), 'person' || n || '@example.com', upper('person' || n || '@example.com'), 'stamp', 'stamp', 'driver' from generate_series(1, {People}) n;
                insert into notification_preferences (driver_id, phone, updated_at) select gen_random_uuid(), '+45' || (20000000 + n), now() from generate_series(1, {People}) n
                """);
            await Poll.UntilAsync(() => ScalarAsync("select count(*) from users where email is not null"), n => n == 0, Start, "version 1 to seal the clear rows");
        }
        (await ScalarAsync("select count(*) from users where get_byte(email_encrypted, 0) <> 1")).ShouldBe(0);
        var rotated = Keys("2", ("1", TestProtectionKeys.Key1), ("2", Key2));
        // Small batches and a close watch, so the kill lands while most of the 10,000 values are still to be re-sealed.
        var slowly = new Dictionary<string, string>(rotated) { ["Protection__SweepBatchSize"] = "20" };

        var killed = Node(slowly);
        await Poll.UntilAsync(() => ScalarAsync("select count(*) from users where get_byte(email_encrypted, 0) = 2"), n => n > 0, Start, "the rotation to start",
            maxDelay: TimeSpan.FromMilliseconds(10));
        killed.Kill();
        await killed.DisposeAsync();

        var left = await ScalarAsync("""
            select (select count(*) from users where get_byte(email_encrypted, 0) = 1)
                 + (select count(*) from notification_preferences where get_byte(phone_encrypted, 0) = 1)
            """);
        left.ShouldBeGreaterThan(0, "the rotation finished before the kill; nothing was left to resume");
        await StopsWithOneLineAsync(Node(Keys("2", ("2", Key2))), "encrypted under key version 1, which Protection:Keys no longer has");

        await using (var resumed = Node(rotated))
        {
            await resumed.WaitUntilReadyAsync(Start);
            using var client = new HttpClient { BaseAddress = resumed.BaseUri };
            // Readable mid-rotation: the e-mail is found by its blind index whatever version seals it.
            await Accounts.LoginAsync(client, email, Accounts.Password);
            await Poll.UntilAsync(() => ScalarAsync("select count(*) from protection_key_versions where version = 1 and retired_at is not null"), n => n == 1, Start,
                "the rotation to complete and retire version 1");
        }
        (await ScalarAsync("select count(*) from users where email_encrypted is not null and get_byte(email_encrypted, 0) <> 2")).ShouldBe(0);
        (await ScalarAsync("select count(*) from notification_preferences where phone_encrypted is not null and get_byte(phone_encrypted, 0) <> 2")).ShouldBe(0);
        (await ScalarAsync("select count(*) from users where email is not null or normalized_email is not null")).ShouldBe(0);

        await using var onlyTheNewKey = Node(Keys("2", ("2", Key2)));
        await onlyTheNewKey.WaitUntilReadyAsync(Start);
        using var after = new HttpClient { BaseAddress = onlyTheNewKey.BaseUri };
        var tokens = await Accounts.LoginAsync(after, email.ToUpperInvariant(), Accounts.Password);
        after.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        (await after.GetJsonAsync("/api/v1/auth/me")).Str("email").ShouldBe(email);
    }
}
