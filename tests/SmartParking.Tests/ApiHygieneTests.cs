using System.Net;
using System.Net.Http.Json;
using System.Text;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

public sealed class HygieneFactory : ApiFactory
{
    public const string AllowedOrigin = "https://app.smartparking.test";

    protected override void ConfigureSettings(IDictionary<string, string?> settings) =>
        settings["Http:CorsOrigins:0"] = AllowedOrigin;
}

public sealed class ApiHygieneTests(HygieneFactory factory) : IClassFixture<HygieneFactory>
{
    [Fact]
    public async Task UnknownRoute_Returns404ProblemJson()
    {
        using var client = factory.Anonymous();
        var problem = await (await client.GetAsync("/api/v1/no-such-thing")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        problem.Str("instance").ShouldBe("/api/v1/no-such-thing");
        problem.TryGetProperty("traceId", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task WrongMethod_Returns405Problem()
    {
        using var client = factory.Anonymous();
        await (await client.DeleteAsync("/api/v1/lots/nearby")).ShouldBeProblemAsync(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task MalformedJson_Returns400ProblemNamingTheBody()
    {
        using var client = factory.Anonymous();
        var response = await client.PostAsync("/api/v1/auth/register", new StringContent("""{"email": "a@example.com", "password": """, Encoding.UTF8, "application/json"));
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem.TryGetProperty("errors", out var errors).ShouldBeTrue(problem.ToString());
        errors.EnumerateObject().ShouldNotBeEmpty();
    }

    [Fact]
    public async Task WrongJsonType_Returns400ProblemNamingTheField()
    {
        using var client = factory.Anonymous();
        var response = await client.PostAsync("/api/v1/auth/register", new StringContent("""{"email": 42, "password": "x"}""", Encoding.UTF8, "application/json"));
        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "email");
    }

    [Fact]
    public async Task MissingBody_Returns400Problem()
    {
        using var client = factory.Anonymous();
        var response = await client.PostAsync("/api/v1/auth/login", new StringContent("", Encoding.UTF8, "application/json"));
        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task NonJsonContentType_Returns415Problem()
    {
        using var client = factory.Anonymous();
        var response = await client.PostAsync("/api/v1/auth/login", new StringContent("email=a@example.com", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task BindingError_UnparsableNumber_ReturnsProblemWithoutInternals()
    {
        using var client = factory.Anonymous();
        var response = await client.GetAsync("/api/v1/lots/nearby?lat=north&lng=0");
        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "lat");
        var body = await response.Content.ReadAsStringAsync();
        body.ShouldNotContain("Exception");
        body.ShouldNotContain("   at ");
    }

    public static TheoryData<string> PathsWithDifferentOutcomes => new()
    {
        "/health/live",                                  // 200 from a health check
        "/api/v1/lots/nearby?lat=56&lng=10",             // 200 from an endpoint
        "/api/v1/no-such-thing",                          // 404 from routing
        "/api/v1/auth/me",                                // 401 from authentication
        "/api/v1/lots/00000000-0000-0000-0000-000000000001", // 404 from a handler's exception
        "/api/v1/lots/nearby?lat=100&lng=10",            // 400 from validation
    };

    [Theory]
    [MemberData(nameof(PathsWithDifferentOutcomes))]
    public async Task SecurityHeaders_AnyResponse_ArePresent(string path)
    {
        using var client = factory.Anonymous();
        var response = await client.GetAsync(path);
        response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"], $"{(int)response.StatusCode} {path}");
        response.Headers.GetValues("X-Frame-Options").ShouldBe(["DENY"]);
        response.Headers.GetValues("Referrer-Policy").ShouldBe(["no-referrer"]);
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("frame-ancestors 'none'");
    }

    [Fact]
    public async Task Cors_AllowedOrigin_GetsAllowOriginOnRequestAndPreflight()
    {
        using var client = factory.Anonymous();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/lots/nearby?lat=56&lng=10");
        request.Headers.Add("Origin", HygieneFactory.AllowedOrigin);
        var response = await client.SendAsync(request);
        response.Headers.GetValues("Access-Control-Allow-Origin").ShouldBe([HygieneFactory.AllowedOrigin]);

        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/manage/lots");
        preflight.Headers.Add("Origin", HygieneFactory.AllowedOrigin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        var answer = await client.SendAsync(preflight);
        ((int)answer.StatusCode).ShouldBeInRange(200, 299);
        answer.Headers.GetValues("Access-Control-Allow-Origin").ShouldBe([HygieneFactory.AllowedOrigin]);
        string.Join(",", answer.Headers.GetValues("Access-Control-Allow-Methods")).ShouldContain("POST");
    }

    [Fact]
    public async Task Cors_AllowedOriginOnErrorResponse_StillGetsAllowOrigin()
    {
        // A browser app can only read a problem's body if the error response carries the CORS header too.
        using var client = factory.Anonymous();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/lots/00000000-0000-0000-0000-000000000001");
        request.Headers.Add("Origin", HygieneFactory.AllowedOrigin);
        var response = await client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values).ShouldBeTrue();
        values.ShouldBe([HygieneFactory.AllowedOrigin]);
    }

    [Fact]
    public async Task Cors_OtherOrigin_GetsNoAllowOrigin()
    {
        using var client = factory.Anonymous();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/lots/nearby?lat=56&lng=10");
        request.Headers.Add("Origin", "https://evil.example");
        var response = await client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();

        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/manage/lots");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "DELETE");
        (await client.SendAsync(preflight)).Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
    }

    [Fact]
    public async Task OpenApiDocument_Served_ListsTheOperatorApi()
    {
        using var client = factory.Anonymous();
        var document = await client.GetJsonAsync("/openapi/v1.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.ShouldContain("/api/v1/manage/lots");
        paths.ShouldContain("/api/v1/auth/login");
        paths.ShouldContain("/api/v1/lots/nearby");
        paths.ShouldNotContain("/metrics");
    }

    [Fact]
    public async Task SwaggerUi_Index_ServesHtmlPointingAtTheDocument()
    {
        using var client = factory.Anonymous();
        var response = await client.GetAsync("/api/docs/index.html");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await response.Content.ReadAsStringAsync()).ShouldContain("SmartParking API");
        var config = await client.GetStringAsync("/api/docs/index.js");
        config.ShouldContain("/openapi/v1.json");
    }
}

/// <summary>Low limits, and a real Kestrel socket: the request body limit is a Kestrel setting that TestServer ignores.</summary>
public sealed class LimitsFactory : ApiFactory
{
    public const int AuthRequestsPerWindow = 3;
    public const int MaxRequestBodyBytes = 10_000;

    protected override bool UseRealServer => true;

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Http:AuthRequestsPerWindow"] = AuthRequestsPerWindow.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Http:MaxRequestBodyBytes"] = MaxRequestBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // One long window, so the test cannot straddle two of them.
        settings["Http:WindowSeconds"] = "3600";
    }
}

public sealed class RequestLimitTests(LimitsFactory factory) : IClassFixture<LimitsFactory>
{
    [Fact]
    public async Task Login_MoreAttemptsThanTheAuthLimit_Returns429WithRetryAfterAndProblem()
    {
        // Only this test uses the rate-limited auth endpoints of this server; the others seed accounts directly.
        using var client = factory.Anonymous();
        for (var i = 0; i < LimitsFactory.AuthRequestsPerWindow; i++)
            (await client.PostAsJsonAsync("/api/v1/auth/login", new { email = Accounts.NewEmail("rl"), password = "Wrong-Password-1" }))
                .StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var limited = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = Accounts.NewEmail("rl"), password = "Wrong-Password-1" });

        await limited.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThan(TimeSpan.Zero);
        limited.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
        // Other endpoints are not held back by the auth limit.
        (await client.GetAsync("/api/v1/lots/nearby?lat=56&lng=10")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Body_OverMaxRequestBodyBytes_Returns413Problem()
    {
        using var client = factory.Anonymous();
        var body = $$"""{"refreshToken":"{{new string('x', LimitsFactory.MaxRequestBodyBytes + 100)}}"}""";

        var response = await client.PostAsync("/api/v1/auth/logout", new StringContent(body, Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
    }

    [Fact]
    public async Task Body_UnderMaxRequestBodyBytes_IsRead()
    {
        using var client = factory.Anonymous();
        var body = $$"""{"refreshToken":"{{new string('x', LimitsFactory.MaxRequestBodyBytes - 100)}}"}""";
        var response = await client.PostAsync("/api/v1/auth/logout", new StringContent(body, Encoding.UTF8, "application/json"));
        // Read and validated, not cut off.
        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "refreshToken");
    }

    [Fact]
    public async Task CsvImport_BodyOverGlobalLimit_IsAcceptedUpToTheImportLimit()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = factory.ClientFor(await factory.SeedOperatorAsync(tenant));
        var lot = await client.CreateLotAsync();
        var csv = new StringBuilder("label,type,level\n");
        for (var i = 1; csv.Length <= LimitsFactory.MaxRequestBodyBytes * 3; i++) csv.Append("P").Append(i).Append(",standard,1\n");

        var result = await (await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import", Payloads.Csv(csv.ToString()))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        result.GetProperty("created").GetInt32().ShouldBeGreaterThan(1000);
        // The same size as JSON to a normal endpoint is refused.
        var bigLot = Payloads.Lot(new string('n', 150));
        bigLot["externalId"] = new string('e', LimitsFactory.MaxRequestBodyBytes * 2);
        await (await client.PostAsJsonAsync("/api/v1/manage/lots", bigLot)).ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }
}

/// <summary>A per-client limit of a few requests, to show provider webhooks are limited apart from it.</summary>
public sealed class ProviderLimitsFactory : ApiFactory
{
    public const int RequestsPerWindow = 4;

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Http:RequestsPerWindow"] = RequestsPerWindow.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Http:WindowSeconds"] = "3600";
    }
}

public sealed class ProviderWebhookLimitTests(ProviderLimitsFactory factory) : IClassFixture<ProviderLimitsFactory>
{
    [Fact]
    public async Task ProviderWebhooks_FromOneAddress_NotHeldToThePerClientLimit_WhichStillHoldsElsewhere()
    {
        using var client = factory.Anonymous();

        for (var i = 0; i < ProviderLimitsFactory.RequestsPerWindow * 3; i++)
        {
            // Unconfigured here, so each answers 404 after the limiter let it through.
            (await client.PostAsync("/webhooks/telegram", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await client.PostAsync("/api/v1/payments/webhooks/stripe", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= ProviderLimitsFactory.RequestsPerWindow; i++) statuses.Add((await client.GetAsync("/api/v1/lots/nearby?lat=56&lng=10")).StatusCode);

        statuses[..ProviderLimitsFactory.RequestsPerWindow].ShouldAllBe(s => s == HttpStatusCode.OK);
        statuses[^1].ShouldBe(HttpStatusCode.TooManyRequests);
    }
}
