using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartParking.Tests.Infrastructure;

/// <summary>A space with a sensor on it, as an operator set it up; the secret is what the device authenticates with.</summary>
public sealed record TestSensor(Guid LotId, Guid SpaceId, Guid SensorId, string Serial, string Secret);

/// <summary>Readings, devices, gateways and availability look-ups for the ingest and availability tests.</summary>
public static class IngestKit
{
    public const string ReadingsUrl = "/api/v1/ingest/readings";
    public const string GatewayHeader = "X-Gateway-Key";

    /// <summary>How long an asynchronous effect (the change feed, another node, a sweep) may take to show.</summary>
    public static readonly TimeSpan Eventually = TimeSpan.FromSeconds(20);

    /// <summary>A place of its own for one test, far from every other test's lots (radius queries must not see them).</summary>
    public static (double Lat, double Lng) SomewhereNew() => (Random.Shared.Next(-50_000, 50_000) / 1000.0, Random.Shared.Next(-170_000, 170_000) / 1000.0);

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A whole second in the recent past: stored and compared without sub-second rounding.</summary>
    public static DateTimeOffset SecondsAgo(int seconds)
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddSeconds(-seconds);
    }

    public static JsonObject Reading(string? sensorId, string status, DateTimeOffset? observedAt = null)
    {
        var reading = new JsonObject();
        if (sensorId is not null) reading["sensorId"] = sensorId;
        reading["status"] = status;
        if (observedAt is { } at) reading["observedAt"] = Iso(at);
        return reading;
    }

    public static JsonObject Batch(params JsonNode[] readings) => new() { ["readings"] = new JsonArray(readings) };

    public static JsonObject Batch(IEnumerable<JsonNode> readings) => new() { ["readings"] = new JsonArray([.. readings]) };

    public static async Task<JsonElement> CreateLotAtAsync(this HttpClient operatorClient, double lat, double lng, string name = "Ingest Lot", string kind = "off_street") =>
        await operatorClient.CreateLotAsync(Payloads.Lot(name, lat, lng, kind));

    /// <summary>A new space in the lot with a new sensor on it.</summary>
    public static async Task<TestSensor> CreateSensorAsync(this HttpClient operatorClient, Guid lotId, string? label = null, string type = "standard", Guid? zoneId = null)
    {
        var space = await operatorClient.CreateSpaceAsync(lotId, Payloads.Space(label ?? "S-" + Guid.NewGuid().ToString("N")[..6], type, zoneId));
        var serial = Payloads.NewSerial("ING");
        var created = await operatorClient.CreateSensorAsync(Payloads.Sensor(serial, spaceId: space.Id()));
        return new TestSensor(lotId, space.Id(), created.GetProperty("sensor").Id(), serial, created.Str("deviceSecret"));
    }

    public static async Task<(Guid Id, string Key)> CreateGatewayAsync(this HttpClient operatorClient, string name = "LoRaWAN network server")
    {
        var created = await (await operatorClient.PostAsJsonAsync("/api/v1/manage/gateways", new { name })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        return (created.GetProperty("gateway").Id(), created.Str("key"));
    }

    public static HttpClient DeviceClient(this ApiFactory factory, TestSensor sensor) => factory.BasicClient(sensor.Serial, sensor.Secret);

    public static HttpClient BasicClient(this ApiFactory factory, string user, string password)
    {
        var client = factory.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return client;
    }

    public static HttpClient GatewayClient(this ApiFactory factory, string key)
    {
        var client = factory.Anonymous();
        client.DefaultRequestHeaders.Add(GatewayHeader, key);
        return client;
    }

    public static Task<HttpResponseMessage> PostReadingsAsync(this HttpClient client, JsonNode body) => client.PostAsJsonAsync(ReadingsUrl, body);

    /// <summary>Posts and expects 202; returns the batch result.</summary>
    public static async Task<JsonElement> IngestAsync(this HttpClient client, JsonNode body) =>
        await (await client.PostReadingsAsync(body)).ShouldHaveStatusAsync(HttpStatusCode.Accepted);

    public static IReadOnlyList<JsonElement> ResultItems(this JsonElement batchResult) => batchResult.GetProperty("items").EnumerateArray().ToList();

    /// <summary>The space as <c>GET /api/v1/lots/{id}/availability</c> shows it now.</summary>
    public static async Task<JsonElement> SpaceAvailabilityAsync(this HttpClient client, Guid lotId, Guid spaceId)
    {
        var lot = await client.GetJsonAsync($"/api/v1/lots/{lotId}/availability");
        return lot.GetProperty("spaces").EnumerateArray().Single(s => s.GetProperty("spaceId").GetGuid() == spaceId);
    }

    /// <summary>Polls the public availability until the space shows <paramref name="status"/> (the change feed is asynchronous).</summary>
    public static async Task<JsonElement> WaitForSpaceStatusAsync(this HttpClient client, Guid lotId, Guid spaceId, string status, TimeSpan? timeout = null) =>
        (await Poll.UntilAsync(() => client.SpaceIfKnownAsync(lotId, spaceId), s => s?.Str("status") == status, timeout ?? Eventually,
            $"space {spaceId} to show '{status}'"))!.Value;

    /// <summary>The space, or null while the availability model has not yet heard of its lot or of it (catalogue changes arrive asynchronously).</summary>
    private static async Task<JsonElement?> SpaceIfKnownAsync(this HttpClient client, Guid lotId, Guid spaceId)
    {
        using var response = await client.GetAsync($"/api/v1/lots/{lotId}/availability");
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        var lot = await response.ShouldHaveStatusAsync(HttpStatusCode.OK);
        return lot.GetProperty("spaces").EnumerateArray().Where(s => s.GetProperty("spaceId").GetGuid() == spaceId).Select(s => (JsonElement?)s).SingleOrDefault();
    }

    /// <summary>Polls until the lot is known to the availability model (catalogue changes reach it asynchronously too).</summary>
    public static async Task<JsonElement> WaitForLotAsync(this HttpClient client, Guid lotId, int spaces) =>
        await Poll.UntilAsync(async () =>
        {
            var response = await client.GetAsync($"/api/v1/lots/{lotId}/availability");
            return response.StatusCode == HttpStatusCode.OK ? await response.ReadJsonAsync() : default;
        }, lot => lot.ValueKind == JsonValueKind.Object && lot.GetProperty("spaces").GetArrayLength() == spaces, Eventually, $"lot {lotId} with {spaces} spaces in availability");

    /// <summary>Rows in sensor_readings for a space, as "status@observed_at" (epoch seconds), oldest first.</summary>
    public static Task<List<string>> StoredReadingsAsync(this ApiFactory factory, Guid spaceId) =>
        factory.ColumnAsync("select status || '@' || extract(epoch from observed_at)::bigint from sensor_readings where space_id = $1 order by observed_at, status", spaceId);

    public static string Stored(int status, DateTimeOffset observedAt) => $"{status}@{observedAt.ToUnixTimeSeconds()}";
}

/// <summary>A second server on another factory's database: two nodes of one deployment.</summary>
public sealed class SecondNodeFactory(TestDatabase shared, IReadOnlyDictionary<string, string?>? settings = null) : ApiFactory
{
    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult(shared);

    protected override void ConfigureSettings(IDictionary<string, string?> target)
    {
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) target[key] = value;
    }

    protected override bool OwnsDatabase => false;
}
