using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsCheck;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SmartParking.Tests.Fuzz;

/// <summary>An operator's lot with a zone, a space with its sensor and a gateway, and a driver with a held reservation and a meter session.</summary>
public sealed partial class FuzzFactory : ManageFactory
{
    public TestAccount Driver { get; private set; } = null!;
    public string GatewayKey { get; private set; } = "";
    public Dictionary<string, Guid> Ids { get; } = new(StringComparer.OrdinalIgnoreCase);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var op = OperatorClient();
        var lot = Payloads.Lot("Fuzz lot");
        lot["openingHours"] = new System.Text.Json.Nodes.JsonArray();
        Ids["lots"] = (await op.CreateLotAsync(lot)).Id();
        Ids["zones"] = (await op.CreateZoneAsync(Ids["lots"])).Id();
        var sensor = await op.CreateSensorAsync(Ids["lots"], "F1", zoneId: Ids["zones"]);
        (Ids["spaces"], Ids["sensors"]) = (sensor.SpaceId, sensor.SensorId);
        (Ids["gateways"], GatewayKey) = await op.CreateGatewayAsync();
        Driver = await RegisterDriverAsync();
        using var driver = ClientFor(Driver);
        await (await driver.PostAsJsonAsync("/api/v1/me/payment-methods", new { provider = "sandbox", token = "sandbox_ok" })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var start = DateTimeOffset.UtcNow.AddDays(1);
        Ids["reservations"] = (await (await driver.PostAsJsonAsync("/api/v1/reservations", new { lotId = Ids["lots"], spaceType = "standard", start, end = start.AddHours(1) }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        Ids["sessions"] = (await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId = Ids["lots"], plate = "FZ 12 345", durationMinutes = 30 }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
    }

    /// <summary>A route with its values filled: the id of this fixture's item where the segment before names one, else something plausible.</summary>
    public string PathFor(string route) =>
        AnyRouteValue().Replace(RouteValue().Replace(route, m => Fill(m.Groups["segment"].Value, m.Groups["name"].Value)), _ => Guid.NewGuid().ToString());

    private string Fill(string segment, string name) =>
        Ids.TryGetValue(segment, out var id) ? id.ToString()
        : name.Contains("plate", StringComparison.OrdinalIgnoreCase) ? "FZ12345"
        : name.Contains("serial", StringComparison.OrdinalIgnoreCase) ? "no-such-serial"
        : Guid.NewGuid().ToString();

    // "/lots/{id:guid}" → segment "lots", name "id"
    [GeneratedRegex(@"(?<=/(?<segment>[a-z-]+)/)\{(?<name>[A-Za-z]+)(:[^}]+)?\}")]
    private static partial Regex RouteValue();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex AnyRouteValue();
}

/// <summary>
/// Every endpoint that takes a body gets hostile JSON built from its own field names, with real ids in its route:
/// whatever comes in, the answer is never a 5xx. A failure names the endpoint and the (shrunk) body.
/// </summary>
public sealed class ApiBodyFuzzTests(FuzzFactory factory, ITestOutputHelper output) : IClassFixture<FuzzFactory>
{
    private static readonly string[] CommonFields = ["id", "type", "status", "readings", "sensorId", "observedAt", "entities", "actionType", "location", "coordinates", "value"];

    public sealed record Target(string Method, string Route, bool DriverPolicy, Type? Body, string[] Fields)
    {
        public override string ToString() => $"{Method} {Route}";
    }

    public static IEnumerable<object[]> Targets()
    {
        // One host only to read the routing table; the test itself runs on the shared fixture.
        using var host = new ApiFactory();
        host.InitializeAsync().GetAwaiter().GetResult();
        try
        {
            return host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
                .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Where(m => m is "POST" or "PUT" or "PATCH")
                    .Select(m => (Method: m, Endpoint: e)))
                .Where(x => x.Endpoint.RoutePattern.RawText is { } r && (r.StartsWith("/api/") || r.StartsWith("/ngsi-ld/") || r.StartsWith("/v2/")))
                .Select(x => new Target(x.Method, x.Endpoint.RoutePattern.RawText!,
                    x.Endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == "driver"),
                    x.Endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType,
                    FieldsOf(x.Endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType)))
                .DistinctBy(t => t.ToString())
                .OrderBy(t => t.Route).ThenBy(t => t.Method)
                .Select(t => new object[] { t })
                .ToList();
        }
        finally { host.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    private static string[] FieldsOf(Type? body)
    {
        if (body is null) return CommonFields;
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Add(Type type, int depth)
        {
            foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                names.Add(JsonNamingPolicy.CamelCase.ConvertName(p.Name));
                var inner = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                if (inner.IsGenericType) inner = inner.GetGenericArguments().Last();
                if (depth < 2 && inner.IsClass && inner != typeof(string) && inner.Namespace?.StartsWith("SmartParking") == true) Add(inner, depth + 1);
            }
        }
        Add(body, 0);
        return names.Count > 0 ? [.. names] : CommonFields;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Endpoint_HostileJsonBody_NeverAnswers5xx(Target target)
    {
        using var operatorClient = factory.OperatorClient();
        using var driverClient = factory.ClientFor(factory.Driver);
        var client = target.DriverPolicy || target.Route.StartsWith("/api/v1/auth") ? driverClient : operatorClient;
        client.DefaultRequestHeaders.Add(IngestKit.GatewayHeader, factory.GatewayKey);
        var url = factory.PathFor(target.Route);
        var bodies = target.Body is { } shape
            ? Gen.Frequency((6, BodyShapes.For(shape, [.. factory.Ids.Values])), (1, JsonFuzz.ObjectOf(target.Fields)), (1, JsonFuzz.Value(target.Fields)))
            : Gen.Frequency((3, JsonFuzz.ObjectOf(target.Fields)), (1, JsonFuzz.Value(target.Fields)));

        var answers = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        await bodies.SampleAsync(async body =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(target.Method), url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request);
            answers.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            if ((int)response.StatusCode >= 500)
                throw new InvalidOperationException($"{target.Method} {url} answered {(int)response.StatusCode} to {body}: {await response.Content.ReadAsStringAsync()}");
        }, iter: JsonFuzz.Iterations(50), threads: 1, writeLine: output.WriteLine);
        // How deep the fuzz got: only 401s or 404s would mean it never reached the endpoint's own checks.
        output.WriteLine($"{target.Method} {url}: " + string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key}×{a.Value}")));
    }
}
