using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Sensors.Mqtt;

namespace SmartParking.Tests.Infrastructure;

/// <summary>
/// The server under test, started in-process against its own database copied from the migrated template.
/// One per test class (IClassFixture); subclasses change settings by overriding <see cref="ConfigureSettings"/>.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    private TestDatabase? _database;
    private NpgsqlDataSource? _sql;
    private TcpProxy? _proxy;

    public TestDatabase Database => _database ?? throw new InvalidOperationException("The factory has not been initialised.");

    /// <summary>Direct SQL access to the test database, for seeding and for checking what the API wrote.</summary>
    public NpgsqlDataSource Sql => _sql ?? throw new InvalidOperationException("The factory has not been initialised.");

    /// <summary>The proxy between the server and PostgreSQL, when <see cref="DatabaseThroughProxy"/>; stop it to cut the database off.</summary>
    public TcpProxy Proxy => _proxy ?? throw new InvalidOperationException("This factory does not run its database through a proxy.");

    /// <summary>Routes the server's database connection through a proxy the tests can cut (tests' own SQL goes direct).</summary>
    protected virtual bool DatabaseThroughProxy => false;

    /// <summary>Runs the host on a real Kestrel socket instead of TestServer (for Kestrel-only behaviour such as body size limits).</summary>
    protected virtual bool UseRealServer => false;

    /// <summary>The server's clock, for what the test computes from the time (TOTP codes); factories that replace the server's TimeProvider return theirs.</summary>
    public virtual TimeProvider Time => TimeProvider.System;

    /// <summary>Where this server archives reading partitions before dropping them; removed with the factory.</summary>
    public string ArchiveDirectory { get; } = Path.Combine(Path.GetTempPath(), "sp-reading-archive-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Settings the server reads at start-up; override to change limits for one test class.</summary>
    protected virtual void ConfigureSettings(IDictionary<string, string?> settings) { }

    /// <summary>Where the database comes from: a fresh copy of the template, unless a subclass shares another factory's.</summary>
    protected virtual Task<TestDatabase> CreateDatabaseAsync() => TestPostgres.CreateDatabaseAsync(GetType().Name);

    /// <summary>Whether disposing this factory drops its database (false for a second node sharing one).</summary>
    protected virtual bool OwnsDatabase => true;

    public virtual async Task InitializeAsync()
    {
        _database = await CreateDatabaseAsync();
        _sql = NpgsqlDataSource.Create(_database.ConnectionString);
        if (DatabaseThroughProxy)
        {
            var admin = new NpgsqlConnectionStringBuilder(await TestPostgres.AdminConnectionStringAsync());
            _proxy = new TcpProxy(admin.Host!, admin.Port);
            _proxy.Start();
        }
        // Not UseKestrel(port): that makes Kestrel prefer its one URL over every endpoint the app configures, MQTT's
        // among them. The URL goes in as a setting instead (see ConfigureWebHost), like any configured URL.
        if (UseRealServer) UseKestrel();
        // Start now so a start-up failure fails the fixture, not the first test that happens to touch it.
        StartServer();
    }

    /// <summary>Runs after the host has stopped and before the database is dropped.</summary>
    protected virtual Task OnHostStoppedAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await OnHostStoppedAsync();
        if (_proxy is not null) await _proxy.DisposeAsync();
        if (_sql is not null) await _sql.DisposeAsync();
        if (_database is not null && OwnsDatabase) await _database.DropAsync();
        if (Directory.Exists(ArchiveDirectory)) Directory.Delete(ArchiveDirectory, recursive: true);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            // Read by AddDatabaseAsync before the host is built; UseSetting values reach Program as
            // command-line arguments, so they are visible there (checked by OperationsTests).
            // Through the proxy, Npgsql's own connect timeout: a stopped proxy refuses at once, and 3 s was too short for
            // the start-up migration's first connect while a CI box started four test servers at once.
            ["ConnectionStrings:Parking"] = _proxy is null
                ? Database.ConnectionString
                : new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Host = "127.0.0.1", Port = _proxy.Port }.ConnectionString,
            ["Http:RequestsPerWindow"] = "100000",
            ["Http:AuthRequestsPerWindow"] = "100000",
            // Every test client signs in from the same address; the per-address sign-in throttle has its own tests (AuthTests).
            ["Auth:SignInFailuresPerAddress"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
            // Test hosts run in parallel and MQTT has a fixed port; the MQTT tests turn it on with a free one.
            ["Mqtt:Enabled"] = "false",
            // Prices move only when a pricing test recomputes them, so other tests see the rates they set.
            ["Pricing:Scheduled"] = "false",
            // Daily reports are made only where a test runs them (DailyReportTests), so no test meets report e-mails it did not ask for.
            ["Analytics:DailyReports:Enabled"] = "false",
            // No calls out of the test machine; the geocoder tests give it a local Nominatim.
            ["Web:GeocoderUrl"] = "",
            // Tests make the accounts they need; the first-run administrator has its own tests (FirstAdminTests).
            ["Auth:CreateFirstAdmin"] = "false",
            // Never under the server project's data directory.
            ["Ingest:ArchiveDirectory"] = ArchiveDirectory,
            // The run's field-encryption keys, as server processes get them: a database one host seeded opens on the others.
            ["Protection:Keys:1"] = TestProtectionKeys.Key1,
            ["Protection:ActiveKey"] = "1",
            ["Protection:IndexKey"] = TestProtectionKeys.IndexKey,
        };
        if (UseRealServer) settings["urls"] = "http://127.0.0.1:0";
        ConfigureSettings(settings);
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
        // Hashing a password costs the server 100,000 rounds of PBKDF2 by design, and tests sign thousands of accounts
        // up and in: that was a third of the CPU of the account-heavy tests (reservations, notifications, admin).
        // A stored hash names its own rounds, so 1,000 changes nothing else.
        builder.ConfigureServices(services => services.Configure<PasswordHasherOptions>(o => o.IterationCount = 1_000));
    }

    public virtual HttpClient Anonymous()
    {
        if (!UseRealServer) return CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        // With Kestrel the client must talk to the socket the server actually bound, and not to an MQTT one.
        var mqttPorts = Services.GetRequiredService<MqttListeners>().EndPoints.Select(e => e.EndPoint.Port).ToHashSet();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)))
            .First(uri => !mqttPorts.Contains(uri.Port));
        return new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = address };
    }

    public HttpClient ClientWithToken(string accessToken)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }

    public HttpClient ClientFor(TestAccount account) => ClientWithToken(account.Tokens.AccessToken);

    // ---- accounts -------------------------------------------------------------------------------

    public async Task<Guid> CreateTenantAsync(string? name = null, string timeZone = "Europe/Copenhagen", string currency = "DKK")
    {
        var id = Guid.NewGuid();
        name ??= "Tenant " + id.ToString("N")[..8];
        await ExecuteAsync("insert into tenants (id, name, slug, time_zone, currency) values ($1, $2, $3, $4, $5)",
            id, name, "t-" + id.ToString("N"), timeZone, currency);
        return id;
    }

    public async Task<TestAccount> RegisterDriverAsync(string prefix = "driver")
    {
        var email = Accounts.NewEmail(prefix);
        using var client = Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password = Accounts.Password, displayName = prefix });
        var me = await response.ShouldHaveStatusAsync(System.Net.HttpStatusCode.Created);
        var tokens = await Accounts.LoginAsync(client, email, Accounts.Password);
        return new TestAccount(me.GetProperty("id").GetGuid(), email, Accounts.Password, "driver", null) { Tokens = tokens };
    }

    /// <summary>An operator of <paramref name="tenantId"/>; with <paramref name="enrolTotp"/> its tokens carry mfa=true.</summary>
    public async Task<TestAccount> CreateOperatorAsync(Guid tenantId, bool enrolTotp = true) =>
        await PromoteAsync("operator", tenantId, enrolTotp);

    public async Task<TestAccount> CreateAdminAsync(bool enrolTotp = true) => await PromoteAsync("admin", null, enrolTotp);

    private async Task<TestAccount> PromoteAsync(string role, Guid? tenantId, bool enrolTotp)
    {
        var driver = await RegisterDriverAsync(role);
        // No public endpoint makes the first operator or admin; that is a database-level act.
        await ExecuteAsync("update users set role = $1, tenant_id = $2 where id = $3", role, (object?)tenantId ?? DBNull.Value, driver.Id);
        using var client = Anonymous();
        var account = new TestAccount(driver.Id, driver.Email, driver.Password, role, tenantId)
        {
            Tokens = await Accounts.LoginAsync(client, driver.Email, driver.Password),
        };
        if (enrolTotp) await Accounts.EnrolTotpAsync(this, account);
        return account;
    }

    /// <summary>
    /// An operator with TOTP enrolled, made through the server's own UserManager and TokenService instead of the
    /// HTTP API, for test classes whose auth endpoints are rate limited on purpose.
    /// </summary>
    public async Task<TestAccount> SeedOperatorAsync(Guid tenantId)
    {
        using var scope = Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = new AppUser { Id = Guid.CreateVersion7(), Email = Accounts.NewEmail("seeded"), Role = "operator", TenantId = tenantId };
        (await users.CreateAsync(user, Accounts.Password)).Succeeded.ShouldBeTrue();
        (await users.ResetAuthenticatorKeyAsync(user)).Succeeded.ShouldBeTrue();
        (await users.SetTwoFactorEnabledAsync(user, true)).Succeeded.ShouldBeTrue();
        var pair = await Services.GetRequiredService<TokenService>().IssueAsync(user, mfa: true, CancellationToken.None);
        return new TestAccount(user.Id, user.Email, Accounts.Password, "operator", tenantId)
        {
            Tokens = new Tokens(pair.AccessToken, pair.AccessTokenExpiresAt, pair.RefreshToken, pair.RefreshTokenExpiresAt, pair.TokenType),
            TotpKey = await users.GetAuthenticatorKeyAsync(user),
        };
    }

    // ---- SQL ------------------------------------------------------------------------------------

    /// <summary>How the chat tables store a channel's user (a keyed index of their id; a web user's account id as is).</summary>
    public string ChatSenderKey(string channel, string id) =>
        Services.GetRequiredService<SmartParking.Server.Modules.Chat.ChatSenderKeys>().StoredId(channel, id);

    public async Task ExecuteAsync(string sql, params object?[] args)
    {
        await using var command = Command(sql, args);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params object?[] args)
    {
        await using var command = Command(sql, args);
        var value = await command.ExecuteScalarAsync();
        return (T)value!;
    }

    /// <summary>The blind index the notification log finds an address by (the address itself is sealed).</summary>
    public byte[] NotificationAddressIndex(string address) =>
        Services.GetRequiredService<SmartParking.Server.Platform.Protection.FieldProtector>().BlindIndex(address, SmartParking.Server.Modules.Notifications.NotificationFields.Address);

    /// <summary>A sealed notification-log field opened.</summary>
    public string OpenNotificationField(byte[] sealedValue, SmartParking.Server.Platform.Protection.FieldScope field) =>
        Services.GetRequiredService<SmartParking.Server.Platform.Protection.FieldProtector>().Open(sealedValue, field);

    /// <summary>How many events of this type the outbox holds for the aggregate (committed or not yet sequenced).</summary>
    public Task<long> EventCountAsync(string type, object aggregateId) =>
        ScalarAsync<long>("select count(*) from domain_events where type = $1 and aggregate_id = $2", type, aggregateId.ToString());

    public async Task<List<string>> ColumnAsync(string sql, params object?[] args)
    {
        await using var command = Command(sql, args);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.IsDBNull(0) ? "" : Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return values;
    }

    private NpgsqlCommand Command(string sql, object?[] args)
    {
        var command = Sql.CreateCommand(sql);
        foreach (var arg in args) command.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
        return command;
    }
}
