using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SmartParking.Simulator;

namespace SmartParking.Tests.Simulator;

public class ProvisioningTests
{
    private const string TotpKey = "JBSWY3DPEHPK3PXP";

    /// <summary>A server with two pages of two assigned sensors; <paramref name="rotate"/> answers each secret rotation (sensor id, attempt number).</summary>
    private static Task<FakeServer> ServerAsync(Func<string, int, IResult> rotate)
    {
        var attempts = new ConcurrentDictionary<string, int>();
        return FakeServer.StartAsync(app =>
        {
            app.MapPost("/api/v1/auth/login", () => Results.Json(new { accessToken = "token" }));
            app.MapPost("/api/v1/manage/gateways", () => Results.Json(new { key = "gateway-key" }));
            app.MapGet("/api/v1/manage/lots", () => Results.Json(new { items = new[] { new { id = "lot-1", externalId = "L1" } }, total = 1 }));
            app.MapGet("/api/v1/manage/sensors", (int page) => Results.Json(new
            {
                items = page > 2 ? [] : new[] { 1, 2 }.Select(i => new { id = $"s{page}{i}", serial = $"serial-{page}{i}", lotId = "lot-1" }).ToArray(),
                total = 4,
            }));
            app.MapPost("/api/v1/manage/sensors/{id}/credentials", (string id) => rotate(id, attempts.AddOrUpdate(id, 1, (_, n) => n + 1)));
        });
    }

    private static IResult Secret(string id) => Results.Json(new { deviceSecret = $"secret-{id}" });


    [Fact]
    public async Task A_rate_limited_rotation_is_retried_after_Retry_After()
    {
        await using var fake = await ServerAsync((id, attempt) => id == "s12" && attempt <= 2 ? new RateLimited() : Secret(id));

        var credentials = await Provisioning.ProvisionAsync(fake.Url, "op@example.org", "pw", TotpKey, 4, deviceSecrets: true, CancellationToken.None);

        credentials.Sensors.Select(s => s.Secret).ShouldBe(["secret-s11", "secret-s12", "secret-s21", "secret-s22"]);
    }

    [Fact]
    public async Task The_credentials_file_keeps_each_page_rotated_before_a_failure()
    {
        await using var fake = await ServerAsync((id, _) => id == "s21" ? Results.StatusCode(500) : Secret(id));
        var path = Path.Combine(Path.GetTempPath(), $"sim-credentials-{Guid.NewGuid():N}.json");
        try
        {
            await Should.ThrowAsync<InvalidOperationException>(() =>
                Provisioning.ProvisionAsync(fake.Url, "op@example.org", "pw", TotpKey, 4, deviceSecrets: true, path, CancellationToken.None));

            var saved = JsonSerializer.Deserialize<SimCredentials>(await File.ReadAllTextAsync(path), Provisioning.Json)!;
            saved.GatewayKey.ShouldBe("gateway-key");
            saved.Sensors.ShouldBe([new SimSensor("serial-11", "secret-s11", "L1"), new SimSensor("serial-12", "secret-s12", "L1")]);
            Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".*.tmp").ShouldBeEmpty();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_rate_limit_that_never_lifts_fails_after_a_bounded_number_of_retries()
    {
        var attempts = 0;
        await using var fake = await ServerAsync((id, attempt) =>
        {
            attempts = attempt;
            return new RateLimited();
        });

        var failure = await Should.ThrowAsync<InvalidOperationException>(() =>
            Provisioning.ProvisionAsync(fake.Url, "op@example.org", "pw", TotpKey, 4, deviceSecrets: true, CancellationToken.None));

        failure.Message.ShouldContain("429");
        attempts.ShouldBe(Provisioning.MaxRateLimitRetries + 1);
    }

    /// <summary>429 with "Retry-After: 0", so the test does not wait.</summary>
    private sealed class RateLimited : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = 429;
            http.Response.Headers.RetryAfter = "0";
            return Task.CompletedTask;
        }
    }
}
