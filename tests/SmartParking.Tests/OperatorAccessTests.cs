using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

public sealed class OperatorAccessTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private const string MfaEnrolmentType = "urn:smartparking:mfa-enrolment-required";

    [Fact]
    public async Task ManageLots_OperatorWithoutTotp_Returns403MfaEnrolmentRequired()
    {
        var tenant = await factory.CreateTenantAsync();
        var account = await factory.CreateOperatorAsync(tenant, enrolTotp: false);
        using var client = factory.ClientFor(account);

        var response = await client.GetAsync("/api/v1/manage/lots");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, type: MfaEnrolmentType);
        problem.Str("detail").ShouldContain("/api/v1/auth/mfa/setup");
    }

    [Fact]
    public async Task ManageLots_AdminWithoutTotp_Returns403MfaEnrolmentRequired()
    {
        var admin = await factory.CreateAdminAsync(enrolTotp: false);
        using var client = factory.ClientFor(admin);
        await (await client.GetAsync("/api/v1/manage/lots")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, type: MfaEnrolmentType);
    }

    [Fact]
    public async Task ManageLots_Driver_Returns403Problem()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        var problem = await (await client.GetAsync("/api/v1/manage/lots")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        (problem.TryGetProperty("type", out var type) ? type.GetString() : null).ShouldNotBe(MfaEnrolmentType);
    }

    [Fact]
    public async Task ManageLots_DriverWithTotp_Returns403()
    {
        // A second factor does not make a driver an operator.
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        using var client = factory.ClientFor(driver);
        await (await client.GetAsync("/api/v1/manage/lots")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ManageLots_Anonymous_Returns401Problem()
    {
        using var client = factory.Anonymous();
        await (await client.GetAsync("/api/v1/manage/lots")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ManageLots_OperatorWithTotp_Returns200()
    {
        var tenant = await factory.CreateTenantAsync();
        var account = await factory.CreateOperatorAsync(tenant);
        using var client = factory.ClientFor(account);
        var page = await client.GetJsonAsync("/api/v1/manage/lots");
        page.GetProperty("total").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task ManageLots_OperatorTokenFromBeforeEnrolment_IsStillRefused()
    {
        // The mfa claim is fixed when the token is issued; enrolling later does not upgrade old tokens.
        var tenant = await factory.CreateTenantAsync();
        var account = await factory.CreateOperatorAsync(tenant, enrolTotp: false);
        var oldToken = account.Tokens.AccessToken;
        await Accounts.EnrolTotpAsync(factory, account);

        using var client = factory.ClientWithToken(oldToken);
        await (await client.GetAsync("/api/v1/manage/lots")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, type: MfaEnrolmentType);
    }

    [Fact]
    public async Task EveryManageEndpoint_Anonymous_Returns401()
    {
        using var client = factory.Anonymous();
        var wrong = new List<string>();
        foreach (var (method, path, contentType) in ManageEndpoints())
        {
            var response = await client.SendAsync(Request(method, path, contentType));
            if (response.StatusCode != HttpStatusCode.Unauthorized) wrong.Add($"{method} {path} -> {(int)response.StatusCode}");
        }
        wrong.ShouldBeEmpty();
    }

    [Fact]
    public async Task EveryManageEndpoint_Driver_Returns403()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        var wrong = new List<string>();
        foreach (var (method, path, contentType) in ManageEndpoints())
        {
            var response = await client.SendAsync(Request(method, path, contentType));
            if (response.StatusCode != HttpStatusCode.Forbidden) wrong.Add($"{method} {path} -> {(int)response.StatusCode}");
        }
        wrong.ShouldBeEmpty();
    }

    [Fact]
    public async Task EveryManageEndpoint_OperatorWithoutTotp_Returns403MfaEnrolmentRequired()
    {
        var tenant = await factory.CreateTenantAsync();
        var account = await factory.CreateOperatorAsync(tenant, enrolTotp: false);
        using var client = factory.ClientFor(account);
        var wrong = new List<string>();
        foreach (var (method, path, contentType) in ManageEndpoints())
        {
            var response = await client.SendAsync(Request(method, path, contentType));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Forbidden || !body.Contains(MfaEnrolmentType, StringComparison.Ordinal))
                wrong.Add($"{method} {path} -> {(int)response.StatusCode} {body}");
        }
        wrong.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("POST", "/api/v1/manage/tenants")]
    [InlineData("PUT", "/api/v1/manage/users/{id}/role")]
    public async Task AdminEndpoint_OperatorWithTotp_Returns403(string method, string path)
    {
        var tenant = await factory.CreateTenantAsync();
        var account = await factory.CreateOperatorAsync(tenant);
        using var client = factory.ClientFor(account);
        var body = method == "POST"
            ? """{"name":"Evil Corp","timeZone":"Europe/Copenhagen","currency":"EUR"}"""
            : $$"""{"role":"admin"}""";
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", account.Id.ToString(), StringComparison.Ordinal))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        });
        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        (await factory.ScalarAsync<string>("select role from users where id = $1", account.Id)).ShouldBe("operator");
    }

    [Fact]
    public async Task CreateTenant_Operator_Returns403SayingOnlyAnAdministratorCreatesTenants()
    {
        var account = await factory.CreateOperatorAsync(await factory.CreateTenantAsync());
        using var client = factory.ClientFor(account);

        var response = await client.PostAsJsonAsync("/api/v1/manage/tenants", new { name = "Own City", timeZone = "Europe/Copenhagen", currency = "EUR" });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        problem.Str("title").ShouldNotBeNullOrWhiteSpace();
        problem.Str("detail").ShouldStartWith("Only an administrator can create tenants");
        problem.Str("requiredRole").ShouldBe("admin");
    }

    [Fact]
    public async Task EveryManageEndpoint_Driver_403ExplainsTheRoleItNeeds()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        var wrong = new List<string>();
        foreach (var (method, path, contentType) in ManageEndpoints())
        {
            var response = await client.SendAsync(Request(method, path, contentType));
            var body = await response.Content.ReadAsStringAsync();
            var problem = System.Text.Json.JsonDocument.Parse(body).RootElement;
            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json"
                || !problem.TryGetProperty("detail", out var detail) || string.IsNullOrWhiteSpace(detail.GetString())
                || !problem.TryGetProperty("requiredRole", out var role) || role.GetString() is not ("operator" or "admin"))
                wrong.Add($"{method} {path} -> {body}");
        }
        wrong.ShouldBeEmpty();
    }

    [Fact]
    public async Task ManageLots_AnonymousOrBadToken_401SaysHowToSignIn()
    {
        using var anonymous = factory.Anonymous();
        var missing = await (await anonymous.GetAsync("/api/v1/manage/lots")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        missing.Str("detail").ShouldContain("/api/v1/auth/login");

        using var badToken = factory.ClientWithToken("not-a-token");
        var response = await badToken.GetAsync("/api/v1/manage/lots");
        var invalid = await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        invalid.Str("detail").ShouldContain("/api/v1/auth/refresh");
        response.Headers.WwwAuthenticate.ToString().ShouldStartWith("Bearer");
    }

    [Fact]
    public async Task CreateTenant_Admin_Returns201AndAdminCanReadIt()
    {
        var admin = await factory.CreateAdminAsync();
        using var client = factory.ClientFor(admin);

        var response = await client.PostAsJsonAsync("/api/v1/manage/tenants", new { name = "Aarhus Parkering", timeZone = "Europe/Copenhagen", currency = "DKK" });

        var tenant = await response.ShouldHaveStatusAsync(HttpStatusCode.Created);
        tenant.Str("slug").ShouldBe("aarhus-parkering");
        response.Headers.Location!.OriginalString.ShouldBe($"/api/v1/manage/tenants/{tenant.Id()}");
        (await client.GetJsonAsync($"/api/v1/manage/tenants/{tenant.Id()}")).Str("name").ShouldBe("Aarhus Parkering");
    }

    [Theory]
    [InlineData("""{"name":"","timeZone":"Europe/Copenhagen","currency":"DKK"}""", "name")]
    [InlineData("""{"name":"X Parking","slug":"Not A Slug","timeZone":"Europe/Copenhagen","currency":"DKK"}""", "slug")]
    [InlineData("""{"name":"X Parking","timeZone":"Mars/Olympus","currency":"DKK"}""", "timeZone")]
    [InlineData("""{"name":"X Parking","timeZone":"Romance Standard Time","currency":"DKK"}""", "timeZone")]
    [InlineData("""{"name":"X Parking","timeZone":"Europe/Copenhagen","currency":"ABC"}""", "currency")]
    public async Task CreateTenant_InvalidField_Returns400NamingIt(string body, string field)
    {
        var admin = await factory.CreateAdminAsync();
        using var client = factory.ClientFor(admin);
        var response = await client.PostAsync("/api/v1/manage/tenants", new StringContent(body, Encoding.UTF8, "application/json"));
        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task ChangeRole_AdminMakesDriverOperator_UserMustSignInAgainAndThenManagesItsTenant()
    {
        var admin = await factory.CreateAdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        using var adminClient = factory.ClientFor(admin);

        var changed = await (await adminClient.PutAsJsonAsync($"/api/v1/manage/users/{driver.Id}/role", new { role = "operator", tenantId = tenant }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        changed.Str("role").ShouldBe("operator");
        changed.GetProperty("tenantId").GetGuid().ShouldBe(tenant);
        using var anonymous = factory.Anonymous();
        // Tokens carry the role, so the old sign-in is ended.
        await (await anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = driver.Tokens.RefreshToken })).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        var tokens = await Accounts.LoginWithTotpAsync(factory, anonymous, driver);
        using var operatorClient = factory.ClientWithToken(tokens.AccessToken);
        var lot = await operatorClient.CreateLotAsync();
        lot.GetProperty("tenantId").GetGuid().ShouldBe(tenant);
    }

    [Fact]
    public async Task ChangeRole_OperatorWithoutTenant_Returns400NamingTenantId()
    {
        var admin = await factory.CreateAdminAsync();
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(admin);
        var response = await client.PutAsJsonAsync($"/api/v1/manage/users/{driver.Id}/role", new { role = "operator" });
        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "tenantId");
    }

    [Fact]
    public async Task ChangeRole_UnknownTenantOrRole_Returns400()
    {
        var admin = await factory.CreateAdminAsync();
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(admin);
        await (await client.PutAsJsonAsync($"/api/v1/manage/users/{driver.Id}/role", new { role = "operator", tenantId = Guid.NewGuid() }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "tenantId");
        await (await client.PutAsJsonAsync($"/api/v1/manage/users/{driver.Id}/role", new { role = "superuser" }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "role");
        (await factory.ScalarAsync<string>("select role from users where id = $1", driver.Id)).ShouldBe("driver");
    }

    [Fact]
    public async Task ChangeRole_UnknownUser_Returns404()
    {
        var admin = await factory.CreateAdminAsync();
        using var client = factory.ClientFor(admin);
        await (await client.PutAsJsonAsync($"/api/v1/manage/users/{Guid.NewGuid()}/role", new { role = "driver" })).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ListUsers_Operator_SeesOwnTenantOnlyAndFiltersByRoleAndQuery()
    {
        var tenant = await factory.CreateTenantAsync();
        var first = await factory.CreateOperatorAsync(tenant);
        var second = await factory.CreateOperatorAsync(tenant, enrolTotp: false);
        var outsider = await factory.CreateOperatorAsync(await factory.CreateTenantAsync());
        using var client = factory.ClientFor(first);

        var users = await client.GetJsonAsync("/api/v1/manage/users");

        users.Items().Select(u => u.Id()).ShouldBe([first.Id, second.Id], ignoreOrder: true);
        users.Items().ShouldAllBe(u => u.GetProperty("tenantId").GetGuid() == tenant);
        users.ToString().ShouldNotContain(outsider.Email);
        users.ToString().ShouldNotContain("passwordHash", Case.Insensitive);
        // Addresses are sealed at rest and found by their blind index: a whole address, in any case, not a part of one.
        (await client.GetJsonAsync($"/api/v1/manage/users?q={Uri.EscapeDataString(second.Email.ToUpperInvariant())}")).Items().Select(u => u.Id()).ShouldBe([second.Id]);
        (await client.GetJsonAsync($"/api/v1/manage/users?q={Uri.EscapeDataString(second.Email[..20])}")).Items().ShouldBeEmpty();
        (await client.GetJsonAsync("/api/v1/manage/users?role=driver")).Items().ShouldBeEmpty();
        // Search terms are literal text, not LIKE patterns.
        (await client.GetJsonAsync("/api/v1/manage/users?q=%25")).Items().ShouldBeEmpty();
        await (await client.GetAsync("/api/v1/manage/users?role=root")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "role");
    }

    [Fact]
    public async Task ListUsersAndTenants_Admin_SeesEveryTenant()
    {
        var admin = await factory.CreateAdminAsync();
        var tenants = new[] { await factory.CreateTenantAsync(), await factory.CreateTenantAsync() };
        var operators = new[] { await factory.CreateOperatorAsync(tenants[0], enrolTotp: false), await factory.CreateOperatorAsync(tenants[1], enrolTotp: false) };
        using var client = factory.ClientFor(admin);

        var users = (await client.GetJsonAsync("/api/v1/manage/users?pageSize=500&role=operator")).Items().Select(u => u.Id()).ToList();
        users.ShouldContain(operators[0].Id);
        users.ShouldContain(operators[1].Id);
        (await client.GetJsonAsync($"/api/v1/manage/users?tenantId={tenants[1]}")).Items().Select(u => u.Id()).ShouldBe([operators[1].Id]);
        var allTenants = (await client.GetJsonAsync("/api/v1/manage/tenants")).EnumerateArray().Select(t => t.Id()).ToList();
        allTenants.ShouldContain(tenants[0]);
        allTenants.ShouldContain(tenants[1]);
    }

    /// <summary>Every endpoint under /api/v1/manage, read from the server's own routing table so a new one cannot be forgotten.</summary>
    private List<(string Method, string Path, string ContentType)> ManageEndpoints()
    {
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/manage", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (
                m,
                Concrete(e.RoutePattern.RawText!),
                // Routing answers 415 before authentication for a body type the endpoint does not accept.
                e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.ContentTypes.FirstOrDefault() ?? "application/json")))
            .Distinct()
            .ToList();
        endpoints.Count.ShouldBeGreaterThanOrEqualTo(25, "the routing table should list the whole operator API");
        return endpoints;
    }

    private static string Concrete(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern.TrimEnd('/'), @"\{[^}]+\}", Guid.NewGuid().ToString());

    private static HttpRequestMessage Request(string method, string path, string contentType) => new(new HttpMethod(method), path)
    {
        Content = method is "POST" or "PUT" ? new StringContent(contentType == "application/json" ? "{}" : "", Encoding.UTF8, contentType) : null,
    };
}
