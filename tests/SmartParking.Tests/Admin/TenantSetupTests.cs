using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Admin;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Web;

namespace SmartParking.Tests.Admin;

/// <summary>
/// A platform admin starts a real operator's tenant: the tenant, then its first operator account with an initial
/// password shown once; through the API and through the dashboard's Tenants page (and the service behind it).
/// </summary>
public sealed class TenantSetupTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private static ClaimsPrincipal Principal(TestAccount account) => new(new ClaimsIdentity(
    [
        new Claim(AppClaims.Subject, account.Id.ToString()), new Claim(AppClaims.Email, account.Email), new Claim(AppClaims.Role, account.Role),
        new Claim(AppClaims.Mfa, "true"), .. account.TenantId is { } t ? [new Claim(AppClaims.Tenant, t.ToString())] : Array.Empty<Claim>(),
    ], "test"));

    private static string NewSlug() => "city-" + Guid.NewGuid().ToString("N")[..12];

    private async Task<Guid> CreateTenantThroughApiAsync(HttpClient admin, string? slug = null) =>
        (await (await admin.PostAsJsonAsync("/api/v1/manage/tenants", new { name = "Odense Parkering", slug = slug ?? NewSlug(), timeZone = "Europe/Copenhagen", currency = "DKK" }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();

    [Fact]
    public async Task CreateOperator_Admin_InitialPasswordSignsInAndTheOperatorMustEnrolTotpBeforeManaging()
    {
        var admin = await factory.CreateAdminAsync();
        using var client = factory.ClientFor(admin);
        var tenant = await CreateTenantThroughApiAsync(client);
        var email = Accounts.NewEmail("first-operator");

        var response = await client.PostAsJsonAsync($"/api/v1/manage/tenants/{tenant}/operators", new { email, displayName = "Odense Operator" });

        var created = await response.ShouldHaveStatusAsync(HttpStatusCode.Created);
        var user = created.GetProperty("user");
        user.Str("email").ShouldBe(email);
        user.Str("role").ShouldBe("operator");
        user.GetProperty("tenantId").GetGuid().ShouldBe(tenant);
        var password = created.Str("initialPassword");
        using var anonymous = factory.Anonymous();
        var tokens = await Accounts.LoginAsync(anonymous, email, password);
        using var newOperator = factory.ClientWithToken(tokens.AccessToken);
        await (await newOperator.GetAsync("/api/v1/manage/lots")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, type: "urn:smartparking:mfa-enrolment-required");
        (await factory.ScalarAsync<long>("select count(*) from audit_log where action = 'operator.created' and tenant_id = $1 and entity_id = $2", tenant, user.Id().ToString())).ShouldBe(1);
        (await factory.ScalarAsync<long>("select count(*) from audit_log where action = 'tenant.created' and tenant_id = $1", tenant)).ShouldBe(1);
        // The password is handed out once and never stored readably.
        (await factory.ScalarAsync<long>("select count(*) from audit_log where changes::text like '%' || $1 || '%'", password)).ShouldBe(0);
    }

    [Theory]
    [InlineData("""{"email":"not-an-address"}""", "email")]
    [InlineData("""{}""", "email")]
    [InlineData("""{"email":"ok@example.com","displayName":"__LONG__"}""", "displayName")]
    public async Task CreateOperator_InvalidField_Returns400NamingIt(string body, string field)
    {
        var admin = await factory.CreateAdminAsync();
        using var client = factory.ClientFor(admin);
        var tenant = await CreateTenantThroughApiAsync(client);

        var response = await client.PostAsync($"/api/v1/manage/tenants/{tenant}/operators",
            new StringContent(body.Replace("__LONG__", new string('x', 101), StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
        (await factory.ScalarAsync<long>("select count(*) from users where tenant_id = $1", tenant)).ShouldBe(0);
    }

    [Fact]
    public async Task CreateOperator_UnknownTenant404_TakenEmail409_Operator403WithDetail()
    {
        var admin = await factory.CreateAdminAsync();
        using var client = factory.ClientFor(admin);
        var tenant = await CreateTenantThroughApiAsync(client);
        var existing = await factory.CreateOperatorAsync(tenant);

        await (await client.PostAsJsonAsync($"/api/v1/manage/tenants/{Guid.NewGuid()}/operators", new { email = Accounts.NewEmail("x") }))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await client.PostAsJsonAsync($"/api/v1/manage/tenants/{tenant}/operators", new { email = existing.Email }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict);
        using var operatorClient = factory.ClientFor(existing);
        var forbidden = await (await operatorClient.PostAsJsonAsync($"/api/v1/manage/tenants/{tenant}/operators", new { email = Accounts.NewEmail("x") }))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        forbidden.Str("detail").ShouldStartWith("Only an administrator can create operator accounts");
    }

    [Fact]
    public async Task CreateTenant_SlugTaken_Returns409NamingTheSlug()
    {
        var admin = await factory.CreateAdminAsync();
        using var client = factory.ClientFor(admin);
        var slug = NewSlug();
        await CreateTenantThroughApiAsync(client, slug);

        var again = await client.PostAsJsonAsync("/api/v1/manage/tenants", new { name = "Another", slug, timeZone = "America/New_York", currency = "USD" });

        (await again.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Str("detail").ShouldContain(slug);
    }

    [Fact]
    public async Task Setup_Admin_CreatesTheTenantAndItsFirstOperatorTogether()
    {
        var admin = await factory.CreateAdminAsync();
        using var scope = factory.Services.CreateScope();
        var setup = scope.ServiceProvider.GetRequiredService<TenantSetup>();
        var email = Accounts.NewEmail("setup");

        var result = await setup.CreateAsync(Principal(admin),
            new TenantSetupRequest("Lisboa Estacionamento", null, "Europe/Lisbon", "EUR", email, "Lisboa Ops"), CancellationToken.None);

        result.Tenant.Slug.ShouldBe("lisboa-estacionamento");
        result.Tenant.TimeZone.ShouldBe("Europe/Lisbon");
        result.Operator.User.TenantId.ShouldBe(result.Tenant.Id);
        using var anonymous = factory.Anonymous();
        (await Accounts.LoginAsync(anonymous, email, result.Operator.InitialPassword)).AccessToken.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Setup_BadTenantAndOperatorFields_AllNamedAndNothingCreated()
    {
        var admin = await factory.CreateAdminAsync();
        using var scope = factory.Services.CreateScope();
        var setup = scope.ServiceProvider.GetRequiredService<TenantSetup>();
        var name = "Nowhere " + Guid.NewGuid().ToString("N")[..8];

        var error = await Should.ThrowAsync<ValidationException>(() => setup.CreateAsync(Principal(admin),
            new TenantSetupRequest(name, null, "Mars/Olympus", "XYZ", "nobody", null), CancellationToken.None));

        error.Errors.Keys.ShouldBe(["timeZone", "currency", "operatorEmail"], ignoreOrder: true);
        (await factory.ScalarAsync<long>("select count(*) from tenants where name = $1", name)).ShouldBe(0);
    }

    [Fact]
    public async Task Setup_OperatorEmailTaken_NothingCreated()
    {
        var admin = await factory.CreateAdminAsync();
        var driver = await factory.RegisterDriverAsync();
        using var scope = factory.Services.CreateScope();
        var setup = scope.ServiceProvider.GetRequiredService<TenantSetup>();
        var name = "Taken " + Guid.NewGuid().ToString("N")[..8];

        var error = await Should.ThrowAsync<ValidationException>(() => setup.CreateAsync(Principal(admin),
            new TenantSetupRequest(name, null, "Europe/Copenhagen", "DKK", driver.Email, null), CancellationToken.None));

        error.Errors.Keys.ShouldBe(["operatorEmail"]);
        (await factory.ScalarAsync<long>("select count(*) from tenants where name = $1", name)).ShouldBe(0);
    }

    [Fact]
    public async Task Setup_OperatorPrincipal_ForbiddenAndNothingCreated()
    {
        var op = await factory.CreateOperatorAsync(await factory.CreateTenantAsync());
        using var scope = factory.Services.CreateScope();
        var setup = scope.ServiceProvider.GetRequiredService<TenantSetup>();
        var name = "Forbidden " + Guid.NewGuid().ToString("N")[..8];

        await Should.ThrowAsync<ForbiddenException>(() => setup.CreateAsync(Principal(op),
            new TenantSetupRequest(name, null, "Europe/Copenhagen", "DKK", Accounts.NewEmail("x"), null), CancellationToken.None));

        (await factory.ScalarAsync<long>("select count(*) from tenants where name = $1", name)).ShouldBe(0);
    }

    [Fact]
    public async Task TenantsPage_AdminSeesTenantsAndTheNewTenantForm_OperatorIsTurnedAway()
    {
        var admin = await factory.CreateAdminAsync();
        var tenantName = "Page Tenant " + Guid.NewGuid().ToString("N")[..8];
        var tenant = await factory.CreateTenantAsync(tenantName);
        using var adminBrowser = factory.Anonymous();
        (await WebSignInTests.SignInAsync(adminBrowser, admin.Email, admin.Password, code: TotpGenerator.Next(admin.TotpKey!, factory.Time)))
            .StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var page = await adminBrowser.GetAsync("/admin/tenants");

        var html = await page.Content.ReadAsStringAsync();
        page.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        html.ShouldContain(tenantName);
        foreach (var label in new[] { "Name", "Slug", "Time zone", "Currency", "First operator e-mail" })
            html.ShouldContain(label);
        html.ShouldContain("href=\"/admin/tenants\"");

        var op = await factory.CreateOperatorAsync(tenant);
        using var operatorBrowser = factory.Anonymous();
        await WebSignInTests.SignInAsync(operatorBrowser, op.Email, op.Password, code: TotpGenerator.Next(op.TotpKey!, factory.Time));
        var refused = await operatorBrowser.GetAsync("/admin/tenants");
        refused.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        refused.Headers.Location!.AbsolutePath.ShouldBe("/account/denied");
        (await operatorBrowser.GetStringAsync("/admin")).ShouldNotContain("href=\"/admin/tenants\"");
    }
}
