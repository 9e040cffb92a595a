using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>
/// A first run without the demo still has a way in: an administrator is created and its sign-in printed once, so the
/// operator of a real city can create their tenant; the next start creates none and prints no secret.
/// </summary>
public sealed partial class FirstAdminTests
{
    [GeneratedRegex(@"e-mail (\S+) and password (\S+)\s")]
    private static partial Regex SignIn();

    /// <summary>A server started as a real install starts: no demo, and the first administrator made at start.</summary>
    private sealed class FirstRunFactory(TestDatabase? shared = null) : ApiFactory
    {
        public CapturedLogs Logs { get; } = new();

        protected override Task<TestDatabase> CreateDatabaseAsync() => shared is null ? base.CreateDatabaseAsync() : Task.FromResult(shared);

        protected override bool OwnsDatabase => shared is null;

        protected override void ConfigureSettings(IDictionary<string, string?> settings)
        {
            settings["Demo:Seed"] = "false";
            settings["Auth:CreateFirstAdmin"] = "true";
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
        }
    }

    [Fact]
    public async Task FirstStartWithoutTheDemo_PrintsAnAdminSignInOnce_WhichCanCreateATenant()
    {
        var first = new FirstRunFactory();
        await first.InitializeAsync();
        try
        {
            var printed = first.Logs.Entries.Where(e => SignIn().IsMatch(e.Message)).ToList();
            printed.Count.ShouldBe(1);
            printed[0].Level.ShouldBe(LogLevel.Warning);
            var match = SignIn().Match(printed[0].Message);
            var (email, password) = (match.Groups[1].Value, match.Groups[2].Value);
            (await first.ScalarAsync<long>("select count(*) from users")).ShouldBe(1);
            (await first.ScalarAsync<long>("select count(*) from tenants")).ShouldBe(0);
            // The only account; its e-mail is sealed at rest, so it is not matched in SQL.
            (await first.ScalarAsync<string>("select role from users")).ShouldBe("admin");

            // The admin signs in with the printed password, sets up two-factor as the dashboard asks, and creates a tenant.
            using var anonymous = first.Anonymous();
            var tokens = await Accounts.LoginAsync(anonymous, email, password);
            var id = await first.ScalarAsync<Guid>("select id from users");
            var admin = new TestAccount(id, email, password, "admin", null) { Tokens = tokens };
            await Accounts.EnrolTotpAsync(first, admin);
            using var client = first.ClientFor(admin);
            await (await client.PostAsJsonAsync("/api/v1/manage/tenants", new { name = "My City Parking", timeZone = "America/Chicago", currency = "USD" }))
                .ShouldHaveStatusAsync(HttpStatusCode.Created);

            await first.DisposeAsync();
            await using var second = new FirstRunFactory(first.Database);
            await second.InitializeAsync();

            (await second.ScalarAsync<long>("select count(*) from users where role = 'admin'")).ShouldBe(1);
            second.Logs.Entries.ShouldNotContain(e => e.Message.Contains(password, StringComparison.Ordinal) || SignIn().IsMatch(e.Message));
        }
        finally
        {
            await ((IAsyncLifetime)first).DisposeAsync();
        }
    }
}
