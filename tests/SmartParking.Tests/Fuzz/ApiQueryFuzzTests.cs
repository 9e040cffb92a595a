using System.Reflection;
using CsCheck;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SmartParking.Tests.Fuzz;

/// <summary>
/// Every GET endpoint gets hostile query values for the parameters its handler declares (numbers beyond range, NaN,
/// dates at the edges of time, NUL, huge text) with real ids in its route: the answer is never a 5xx.
/// </summary>
public sealed class ApiQueryFuzzTests(FuzzFactory factory, ITestOutputHelper output) : IClassFixture<FuzzFactory>
{
    public sealed record Target(string Route, bool DriverPolicy, string[] Parameters, string[] DateParameters)
    {
        public override string ToString() => "GET " + Route;
    }

    private static readonly HashSet<Type> QueryTypes =
    [
        typeof(string), typeof(int), typeof(long), typeof(double), typeof(decimal), typeof(bool), typeof(Guid), typeof(DateTimeOffset), typeof(DateTime), typeof(DateOnly),
    ];

    public static IEnumerable<object[]> Targets()
    {
        using var host = new ApiFactory();
        host.InitializeAsync().GetAwaiter().GetResult();
        try
        {
            return host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
                .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods.Contains("GET") == true)
                .Where(e => e.RoutePattern.RawText is { } r && (r.StartsWith("/api/") || r.StartsWith("/ngsi-ld/")) && !r.Contains("/stream"))
                .Select(e => new Target(e.RoutePattern.RawText!,
                    e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == "driver"),
                    [.. (e.Metadata.GetMetadata<MethodInfo>()?.GetParameters() ?? [])
                        .Where(p => QueryTypes.Contains(Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType))
                        .Where(p => e.RoutePattern.GetParameter(p.Name!) is null)
                        .Select(p => p.Name!)
                        .Concat(["page", "pageSize", "sort", "q", "format"])
                        .Distinct()],
                    [.. (e.Metadata.GetMetadata<MethodInfo>()?.GetParameters() ?? [])
                        .Where(p => (Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType) == typeof(DateTimeOffset))
                        .Select(p => p.Name!)]))
                .DistinctBy(t => t.Route)
                .OrderBy(t => t.Route)
                .Select(t => new object[] { t })
                .ToList();
        }
        finally { host.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    public static IEnumerable<object[]> DateTargets() => Targets().Where(t => ((Target)t[0]).DateParameters.Length > 0);

    /// <summary>
    /// A time with an offset other than UTC is a valid time (and two values for one parameter are read joined, e.g.
    /// "2026-12-05,-1" as 5 December at offset -01:00); PostgreSQL's timestamptz takes it once it is in UTC.
    /// </summary>
    [Theory]
    [MemberData(nameof(DateTargets))]
    public async Task Endpoint_TimesWithAnOffset_AnsweredLikeTheSameTimeInUtc(Target target)
    {
        using var client = ClientFor(target);
        var path = factory.PathFor(target.Route);
        var times = target.DateParameters.Select((name, i) => (Name: name, Time: new DateTimeOffset(2026, 12, 1 + i, 10, 0, 0, TimeSpan.FromHours(i % 2 == 0 ? 2 : -5)))).ToList();
        string Query(Func<DateTimeOffset, string> format) => string.Join("&", times.Select(t => $"{t.Name}={Uri.EscapeDataString(format(t.Time))}"));
        var withOffsets = Query(t => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture));
        var inUtc = Query(t => t.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

        using var offsetAnswer = await client.GetAsync(path + "?" + withOffsets);
        using var utcAnswer = await client.GetAsync(path + "?" + inUtc);

        ((int)offsetAnswer.StatusCode).ShouldBeLessThan(500, $"GET {path}?{withOffsets}: {await offsetAnswer.Content.ReadAsStringAsync()}");
        offsetAnswer.StatusCode.ShouldBe(utcAnswer.StatusCode, $"GET {path}?{withOffsets} against ?{inUtc}");
    }

    private static readonly string[] Values =
    [
        "", "%00", "a%00b", "NaN", "Infinity", "-Infinity", "1e309", "-1e309", "-1", "0", "1", "50", "56.15", "10.2", "2147483648", "99999999999999999999",
        "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-12-05T10:00:00Z", "2026-12-05", "true", "maybe", "abc", "%ED%A0%80", "%FF",
        "00000000-0000-0000-0000-000000000000", "-name", "name", "csv", "xlsx", "pdf", "standard", "ev", new string('x', 3000),
    ];

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Endpoint_HostileQuery_NeverAnswers5xx(Target target)
    {
        using var client = ClientFor(target);
        var path = factory.PathFor(target.Route);
        var value = Gen.Frequency((6, Gen.OneOf(Values)), (1, Gen.OneOf([.. factory.Ids.Values]).Select(g => g.ToString())));
        var queries = Gen.Select(Gen.OneOf(target.Parameters), value).Array[0, 6]
            .Select(pairs => string.Join("&", pairs.Select(p => $"{Uri.EscapeDataString(p.Item1)}={p.Item2}")));
        var answers = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();

        await queries.SampleAsync(async query =>
        {
            var url = path + "?" + query;
            using var response = await client.GetAsync(url);
            answers.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            if ((int)response.StatusCode >= 500)
                throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }, iter: JsonFuzz.Iterations(30), threads: 1, writeLine: output.WriteLine);
        output.WriteLine($"GET {path}: " + string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key}×{a.Value}")));
    }

    /// <summary>The driver's client for a driver endpoint, the operator's for the rest.</summary>
    private HttpClient ClientFor(Target target) => target.DriverPolicy ? factory.ClientFor(factory.Driver) : factory.OperatorClient();
}
