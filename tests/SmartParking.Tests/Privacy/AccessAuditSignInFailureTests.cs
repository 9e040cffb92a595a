using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Privacy;

/// <summary>Refused sign-ins are counted on /metrics and listed for administrators per account and client address.</summary>
public sealed class AccessAuditSignInFailureTests(AuthFactory factory) : IClassFixture<AuthFactory>
{
    private const string WrongPassword = "Wrong-Password-77";

    private static async Task<HttpStatusCode> SignInAsync(HttpClient client, string email, string password) =>
        (await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password })).StatusCode;

    [Fact]
    public async Task FailedSignIns_ListedPerAccountAndAddressForAdmins_WithoutPasswordsOrUnknownAddresses()
    {
        var admin = factory.ClientFor(await factory.CreateAdminAsync());
        var driver = await factory.RegisterDriverAsync();
        var address = AuthFactory.NewAddress();
        using var guesser = factory.AnonymousFrom(address);
        using var anonymous = factory.Anonymous();
        var before = await MetricAsync(anonymous, "reason=\"throttled\"");
        var unknownEmail = Accounts.NewEmail("nobody");

        // Two wrong passwords, an address without an account, a third wrong password (the pair's limit), then held back.
        (await SignInAsync(guesser, driver.Email, WrongPassword)).ShouldBe(HttpStatusCode.Unauthorized);
        (await SignInAsync(guesser, driver.Email, WrongPassword)).ShouldBe(HttpStatusCode.Unauthorized);
        (await SignInAsync(guesser, unknownEmail, WrongPassword)).ShouldBe(HttpStatusCode.Unauthorized);
        (await SignInAsync(guesser, driver.Email, WrongPassword)).ShouldBe(HttpStatusCode.Unauthorized);
        (await SignInAsync(guesser, driver.Email, WrongPassword)).ShouldBe(HttpStatusCode.TooManyRequests);

        var response = await admin.GetAsync("/api/v1/manage/sign-in-failures?limit=500");
        var report = await response.ShouldHaveStatusAsync(HttpStatusCode.OK);
        var account = report.GetProperty("accounts").EnumerateArray().Single(a => a.GetProperty("userId").GetGuid() == driver.Id);
        account.Str("email").ShouldBe(driver.Email);
        account.GetProperty("failures").GetInt64().ShouldBe(3);
        report.GetProperty("addresses").EnumerateArray().Single(a => a.Str("address") == address).GetProperty("failures").GetInt64().ShouldBe(5);
        report.GetProperty("unknownAccounts").GetInt64().ShouldBeGreaterThanOrEqualTo(2);
        var text = await response.Content.ReadAsStringAsync();
        text.ShouldNotContain(WrongPassword);
        text.ShouldNotContain(unknownEmail);
        (await MetricAsync(anonymous, "reason=\"throttled\"")).ShouldBeGreaterThanOrEqualTo(before + 1);
    }

    [Fact]
    public async Task FailureList_AdminsOnly_AndOnlyWithinWhatIsKept()
    {
        var admin = factory.ClientFor(await factory.CreateAdminAsync());
        var tenant = await factory.CreateTenantAsync();
        var op = factory.ClientFor(await factory.CreateOperatorAsync(tenant));
        var now = factory.Clock.GetUtcNow();

        (await op.GetAsync("/api/v1/manage/sign-in-failures")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await admin.GetAsync($"/api/v1/manage/sign-in-failures?since={Uri.EscapeDataString(now.AddDays(1).ToString("O"))}"))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "since");
        await (await admin.GetAsync($"/api/v1/manage/sign-in-failures?since={Uri.EscapeDataString(now.AddDays(-91).ToString("O"))}"))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "since");
        await (await admin.GetAsync("/api/v1/manage/sign-in-failures?limit=0")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "limit");
    }

    private static async Task<double> MetricAsync(HttpClient client, string label) =>
        (await client.GetStringAsync("/metrics")).Split('\n')
            .Where(line => line.StartsWith("smartparking_signins_failed_total{", StringComparison.Ordinal) && line.Contains(label, StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
