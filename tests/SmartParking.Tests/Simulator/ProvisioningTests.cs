using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SmartParking.Simulator;

namespace SmartParking.Tests.Simulator;

public class ProvisioningTests
{
    private const string TotpKey = "JBSWY3DPEHPK3PXP";

    /// <summary>The fake server's view of the run: each bulk request's serials, in order.</summary>
    private sealed class Calls
    {
        public ConcurrentQueue<string[]> Batches { get; } = new();
        public int Attempts;
        public int Gateways;
    }

    /// <summary>
    /// A server with <paramref name="count"/> assigned sensors (serial-1…) listed 500 a page; <paramref name="bulk"/> answers
    /// each bulk request (its attempt number, its serials), or null to rotate them all.
    /// </summary>
    private static async Task<(FakeServer Server, Calls Calls)> ServerAsync(int count, Func<int, string[], IResult?>? bulk = null)
    {
        var calls = new Calls();
        var server = await FakeServer.StartAsync(app =>
        {
            app.MapPost("/api/v1/auth/login", () => Results.Json(new { accessToken = "token" }));
            app.MapPost("/api/v1/manage/gateways", () =>
            {
                Interlocked.Increment(ref calls.Gateways);
                return Results.Json(new { key = "gateway-key" });
            });
            app.MapGet("/api/v1/manage/lots", () => Results.Json(new { items = new[] { new { id = "lot-1", externalId = "L1" } }, total = 1 }));
            app.MapGet("/api/v1/manage/sensors", (int page, int pageSize) => Results.Json(new
            {
                items = Enumerable.Range((page - 1) * pageSize + 1, pageSize).Where(i => i <= count).Select(i => new { id = $"s{i}", serial = $"serial-{i}", lotId = "lot-1" }),
                total = count,
            }));
            app.MapPost("/api/v1/manage/sensors/bulk", async (HttpRequest request) =>
            {
                var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
                body.GetProperty("rotateSecrets").GetBoolean().ShouldBeTrue();
                var serials = body.GetProperty("sensors").EnumerateArray().Select(s => s.GetProperty("serial").GetString()!).ToArray();
                if (bulk?.Invoke(Interlocked.Increment(ref calls.Attempts), serials) is { } answer) return answer;
                calls.Batches.Enqueue(serials);
                return Results.Json(new { created = 0, updated = serials.Length, secrets = serials.Select(s => new { serial = s, sensorId = s, deviceSecret = $"secret-{s}" }), errors = Array.Empty<object>() });
            });
        });
        return (server, calls);
    }

    private static ProvisionRequest Request(int sensors, string? path = null, int batchSize = 2) => new(sensors, DeviceSecrets: true, path, batchSize);

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"sim-credentials-{Guid.NewGuid():N}.json");

    private static async Task<SimCredentials> ReadAsync(string path) => JsonSerializer.Deserialize<SimCredentials>(await File.ReadAllTextAsync(path), Provisioning.Json)!;

    [Fact]
    public async Task Provision_RotatesTheSecretsInBatchesThroughTheBulkEndpoint()
    {
        var (fake, calls) = await ServerAsync(1_203);
        await using var _ = fake;

        var credentials = await Provisioning.ProvisionAsync(fake.Url, "op@example.org", "pw", TotpKey, Request(1_203, batchSize: 500), CancellationToken.None);

        calls.Batches.Select(b => b.Length).ShouldBe([500, 500, 203]);
        credentials.Sensors.Count.ShouldBe(1_203);
        credentials.Sensors[^1].ShouldBe(new SimSensor("serial-1203", "secret-serial-1203", "L1"));
    }

    [Fact]
    public async Task A_rate_limited_batch_is_sent_again_after_Retry_After()
    {
        var (fake, calls) = await ServerAsync(4, (attempt, _) => attempt <= 2 ? new RateLimited() : null);
        await using var _ = fake;

        var credentials = await Provisioning.ProvisionAsync(fake.Url, "op@example.org", "pw", TotpKey, Request(4), CancellationToken.None);

        credentials.Sensors.Select(s => s.Secret).ShouldBe(["secret-serial-1", "secret-serial-2", "secret-serial-3", "secret-serial-4"]);
        calls.Batches.Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_failure_keeps_each_batch_already_saved_and_a_second_run_completes_the_rest()
    {
        var path = TempPath();
        try
        {
            var (failing, _) = await ServerAsync(5, (attempt, _) => attempt == 2 ? Results.StatusCode(500) : null);
            await using (failing)
                await Should.ThrowAsync<InvalidOperationException>(() =>
                    Provisioning.ProvisionAsync(failing.Url, "op@example.org", "pw", TotpKey, Request(5, path), CancellationToken.None));

            var saved = await ReadAsync(path);
            saved.GatewayKey.ShouldBe("gateway-key");
            saved.Sensors.ShouldBe([new SimSensor("serial-1", "secret-serial-1", "L1"), new SimSensor("serial-2", "secret-serial-2", "L1")]);
            Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".*.tmp").ShouldBeEmpty();

            // The same server again (a file is resumed only for the URL it was written for): only what is missing is rotated.
            var (working, calls) = await ServerAsync(5);
            await using (working)
            {
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(saved with { Url = working.Url.ToString() }, Provisioning.Json));
                var completed = await Provisioning.ProvisionAsync(working.Url, "op@example.org", "pw", TotpKey, Request(5, path), CancellationToken.None);

                calls.Batches.SelectMany(b => b).ShouldBe(["serial-3", "serial-4", "serial-5"]);
                calls.Gateways.ShouldBe(0);
                completed.Sensors.Select(s => s.Serial).ShouldBe(["serial-1", "serial-2", "serial-3", "serial-4", "serial-5"]);
                (await ReadAsync(path)).Sensors.ShouldBe(completed.Sensors);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_credentials_file_that_cannot_be_written_stops_the_run_before_any_secret_is_rotated()
    {
        var (fake, calls) = await ServerAsync(4);
        await using var _ = fake;
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "sim-credentials.json");

        await Should.ThrowAsync<DirectoryNotFoundException>(() => Provisioning.ProvisionAsync(fake.Url, "op@example.org", "pw", TotpKey, Request(4, path), CancellationToken.None));

        calls.Attempts.ShouldBe(0);
    }

    [Fact]
    public async Task A_rate_limit_that_never_lifts_fails_after_a_bounded_number_of_retries()
    {
        var (fake, calls) = await ServerAsync(4, (_, _) => new RateLimited());
        await using var _ = fake;

        var failure = await Should.ThrowAsync<InvalidOperationException>(() =>
            Provisioning.ProvisionAsync(fake.Url, "op@example.org", "pw", TotpKey, Request(4), CancellationToken.None));

        failure.Message.ShouldContain("429");
        calls.Attempts.ShouldBe(Provisioning.MaxRateLimitRetries + 1);
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
