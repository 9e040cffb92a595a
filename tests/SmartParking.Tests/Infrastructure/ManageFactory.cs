using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartParking.Tests.Infrastructure;

/// <summary>A server with one tenant and one operator who has enrolled TOTP, for the operator API tests.</summary>
public class ManageFactory : ApiFactory
{
    public Guid TenantId { get; private set; }
    public TestAccount Operator { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        TenantId = await CreateTenantAsync("Home tenant");
        Operator = await CreateOperatorAsync(TenantId);
    }

    public HttpClient OperatorClient() => ClientFor(Operator);

    /// <summary>A tenant of its own with an operator, for tests that count or list and must not see each other's rows.</summary>
    public async Task<(Guid TenantId, HttpClient Client, TestAccount Operator)> NewTenantWithOperatorAsync()
    {
        var tenant = await CreateTenantAsync();
        var account = await CreateOperatorAsync(tenant);
        return (tenant, ClientFor(account), account);
    }
}

/// <summary>Valid request bodies, to be changed one field at a time by tests.</summary>
public static class Payloads
{
    public static JsonObject Lot(string name = "Harbour Garage", double latitude = 56.1535, double longitude = 10.2121, string kind = "off_street") => new()
    {
        ["name"] = name,
        ["kind"] = kind,
        ["address"] = new JsonObject { ["street"] = "Havnegade 1", ["city"] = "Aarhus", ["postalCode"] = "8000", ["country"] = "DK" },
        ["latitude"] = latitude,
        ["longitude"] = longitude,
        ["timeZone"] = "Europe/Copenhagen",
        ["openingHours"] = new JsonArray(new JsonObject { ["day"] = "mon", ["opens"] = "07:00", ["closes"] = "22:00" }),
        ["amenities"] = new JsonArray("cctv", "covered"),
        ["capacity"] = new JsonObject { ["standard"] = 100, ["ev"] = 10 },
        ["baseHourlyRate"] = 25.5m,
        ["currency"] = "DKK",
    };

    public static JsonObject Zone(string code = "L1", string name = "Level 1") => new() { ["code"] = code, ["name"] = name };

    public static JsonObject Space(string label = "A1", string type = "standard", Guid? zoneId = null, string? level = null) => new()
    {
        ["label"] = label,
        ["type"] = type,
        ["zoneId"] = zoneId?.ToString(),
        ["level"] = level,
    };

    public static JsonObject Sensor(string serial, string kind = "magnetometer", Guid? spaceId = null, Guid? lotId = null) => new()
    {
        ["serial"] = serial,
        ["kind"] = kind,
        ["spaceId"] = spaceId?.ToString(),
        ["lotId"] = lotId?.ToString(),
    };

    public static string NewSerial(string prefix = "SN") => $"{prefix}-{Guid.NewGuid():N}"[..20];

    public static StringContent Csv(string text) => new(text, Encoding.UTF8, "text/csv");
}

public static class ManageApi
{
    public static async Task<JsonElement> CreateLotAsync(this HttpClient client, JsonObject? lot = null) =>
        await (await client.PostAsJsonAsync("/api/v1/manage/lots", lot ?? Payloads.Lot())).ShouldHaveStatusAsync(HttpStatusCode.Created);

    public static async Task<JsonElement> CreateZoneAsync(this HttpClient client, Guid lotId, JsonObject? zone = null) =>
        await (await client.PostAsJsonAsync($"/api/v1/manage/lots/{lotId}/zones", zone ?? Payloads.Zone())).ShouldHaveStatusAsync(HttpStatusCode.Created);

    public static async Task<JsonElement> CreateSpaceAsync(this HttpClient client, Guid lotId, JsonObject? space = null) =>
        await (await client.PostAsJsonAsync($"/api/v1/manage/lots/{lotId}/spaces", space ?? Payloads.Space())).ShouldHaveStatusAsync(HttpStatusCode.Created);

    /// <summary>Returns the whole answer: { sensor, deviceSecret }.</summary>
    public static async Task<JsonElement> CreateSensorAsync(this HttpClient client, JsonObject sensor) =>
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors", sensor)).ShouldHaveStatusAsync(HttpStatusCode.Created);

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url) =>
        await (await client.GetAsync(url)).ShouldHaveStatusAsync(HttpStatusCode.OK);
}
