using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>
/// Two tenants, A and B, each with an operator and a lot, zone, space and sensor; B also has everything else an operator
/// manages (pricing and booking rules, an event, an experiment, a gateway) and a driver's paid reservation and session.
/// </summary>
public sealed class IsolationFactory : ApiFactory
{
    public Guid TenantA { get; private set; }
    public Guid TenantB { get; private set; }
    public TestAccount OperatorA { get; private set; } = null!;
    public TestAccount OperatorB { get; private set; } = null!;
    public Guid LotA { get; private set; }
    public Guid SpaceA { get; private set; }
    public Guid SensorA { get; private set; }
    public Guid LotB { get; private set; }
    public Guid ZoneB { get; private set; }
    public Guid SpaceB { get; private set; }
    public Guid SensorB { get; private set; }
    public string SensorBSerial { get; private set; } = "";
    public Guid EventB { get; private set; }
    public Guid ExperimentB { get; private set; }
    public Guid GatewayB { get; private set; }
    public Guid ReservationB { get; private set; }
    public Guid SessionB { get; private set; }
    public Guid PaymentB { get; private set; }
    public Guid WebhookB { get; private set; }
    public Guid NotificationB { get; private set; }
    public Guid AlertA { get; private set; }
    public Guid AlertB { get; private set; }
    public Guid HistoryImportB { get; private set; }

    /// <summary>The day of B's stored daily report (yyyy-MM-dd).</summary>
    public string ReportDayB { get; } = DateTime.UtcNow.Date.AddDays(-10).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        TenantA = await CreateTenantAsync("Tenant A");
        TenantB = await CreateTenantAsync("Tenant B");
        OperatorA = await CreateOperatorAsync(TenantA);
        OperatorB = await CreateOperatorAsync(TenantB);

        using var a = ClientFor(OperatorA);
        LotA = (await a.CreateLotAsync(Payloads.Lot("A's lot"))).Id();
        await a.CreateZoneAsync(LotA, Payloads.Zone("A1", "A's zone"));
        SpaceA = (await a.CreateSpaceAsync(LotA, Payloads.Space("A-1"))).Id();
        SensorA = (await a.CreateSensorAsync(Payloads.Sensor(Payloads.NewSerial("A")))).GetProperty("sensor").Id();

        using var b = ClientFor(OperatorB);
        var lot = Payloads.Lot("B's lot");
        lot["externalId"] = "shared-external-id";
        lot["openingHours"] = new JsonArray();
        LotB = (await b.CreateLotAsync(lot)).Id();
        ZoneB = (await b.CreateZoneAsync(LotB, Payloads.Zone("B1", "B's zone"))).Id();
        SpaceB = (await b.CreateSpaceAsync(LotB, Payloads.Space("B-1", zoneId: ZoneB))).Id();
        SensorBSerial = Payloads.NewSerial("B");
        SensorB = (await b.CreateSensorAsync(Payloads.Sensor(SensorBSerial, spaceId: SpaceB))).GetProperty("sensor").Id();
        await (await b.PutAsJsonAsync($"/api/v1/manage/zones/{ZoneB}/pricing-policy", new { baseRate = 30 })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await b.PutAsJsonAsync($"/api/v1/manage/lots/{LotB}/parking-rules", new { rules = new[] { new { text = "2P" } } })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await b.PutAsJsonAsync($"/api/v1/manage/zones/{ZoneB}/parking-rules", new { rules = new[] { new { text = "LZ 30M Mon-Fri 07:00-09:00" } } }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);
        EventB = (await (await b.PostAsJsonAsync("/api/v1/manage/pricing-events", PricingEvent)).ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        ExperimentB = (await (await b.PostAsJsonAsync("/api/v1/manage/pricing-experiments", new
        {
            name = "B's test", share = 0.5, startsAt = DateTimeOffset.UtcNow, endsAt = DateTimeOffset.UtcNow.AddDays(1), variant = new { stepPercent = 20 },
        })).ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        GatewayB = (await (await b.PostAsJsonAsync("/api/v1/manage/gateways", new { name = "B's gateway" })).ShouldHaveStatusAsync(HttpStatusCode.Created))
            .GetProperty("gateway").Id();
        WebhookB = (await (await b.PostAsJsonAsync("/api/v1/manage/webhooks", new { url = "https://example.org/hooks/b", eventTypes = new[] { "SessionStarted" } }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created)).GetProperty("webhook").Id();

        var driver = await RegisterDriverAsync();
        using var d = ClientFor(driver);
        await (await d.PostAsJsonAsync("/api/v1/me/payment-methods", new { provider = "sandbox", token = "sandbox_ok" })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        // Tomorrow at noon UTC: never inside the zone's weekday loading hours (07–09 Copenhagen), whenever the tests run.
        var start = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(1).AddHours(12), TimeSpan.Zero);
        ReservationB = (await (await d.PostAsJsonAsync("/api/v1/reservations", new { lotId = LotB, spaceId = SpaceB, start, end = start.AddHours(1) }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        await (await d.PostAsync($"/api/v1/reservations/{ReservationB}/payment", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        PaymentB = await ScalarAsync<Guid>("select id from payments where reference_id = $1", ReservationB);
        SessionB = (await (await d.PostAsJsonAsync("/api/v1/sessions", new { lotId = LotB, plate = "BB 11 222", durationMinutes = 30 }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        // A message in B's delivery log (this server has no mail provider to queue one through).
        NotificationB = Guid.CreateVersion7();
        await ExecuteAsync("""
            insert into notification_messages (id, tenant_id, driver_id, source_event_id, channel, address, kind, language, urgent, marketing, subject, body_text,
                status, next_attempt_at, queued_at, updated_at)
            values ($1, $2, $3, $4, 'email', $5, 'reservation_confirmed', 'en', false, false, 'Confirmed', 'Confirmed', 'sent', now(), now(), now())
            """, NotificationB, TenantB, driver.Id, Guid.NewGuid(), driver.Email);
        AlertA = await InsertAlertAsync(TenantA, LotA);
        AlertB = await InsertAlertAsync(TenantB, LotB);
        // A stored daily report of B's, so B's tenant id is there to leak from the report list. Its day is one the
        // scheduled job never makes (only yesterday's) nor deletes (kept 400 days), so A has no report that day.
        await ExecuteAsync("""
            insert into daily_reports (tenant_id, local_date, time_zone, generated_at, summary, pdf, xlsx)
            values ($1, $2::date, 'Europe/Copenhagen', now(), 'B''s day', '\x25504446', '\x504b')
            """, TenantB, ReportDayB);
        await (await b.PutAsJsonAsync("/api/v1/manage/alert-settings", new { contacts = new[] { new { channel = "email", address = "b@example.org" } } }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);
        HistoryImportB = (await (await b.PostAsync("/api/v1/manage/analytics/history", Payloads.Csv($"lot,capacity,occupied,observed_at\n{LotB},10,5,2024-05-01T10:00:00Z\n")))
            .ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
    }

    /// <summary>An open alert of the tenant's lot, as the rules job writes one.</summary>
    private async Task<Guid> InsertAlertAsync(Guid tenantId, Guid lotId)
    {
        var id = Guid.NewGuid();
        await ExecuteAsync("""
            insert into alerts (id, tenant_id, lot_id, kind, subject, severity, title, detail, status, opened_at)
            values ($1, $2, $3, 'sensors_offline', $3::text, 'warning', 'Sensors offline', '5 of 5 sensors offline', 'open', now())
            """, id, tenantId, lotId);
        return id;
    }

    public static object PricingEvent => new
    {
        name = "Match", startsAt = DateTimeOffset.UtcNow.AddDays(2), endsAt = DateTimeOffset.UtcNow.AddDays(2).AddHours(3), multiplier = 1.5,
        latitude = 56.15, longitude = 10.2, radiusMeters = 500,
    };

    /// <summary>Ids of B's rows: none may appear in anything A's operator is shown.</summary>
    public IEnumerable<Guid> ForeignIds => [LotB, ZoneB, SpaceB, SensorB, OperatorB.Id, TenantB, EventB, ExperimentB, GatewayB, ReservationB, SessionB, AlertB, WebhookB, NotificationB, HistoryImportB];

    /// <summary>Every row of tenant B, as text: any change by A shows up as a difference.</summary>
    public async Task<string> SnapshotOfBAsync() => string.Join("\n", await ColumnAsync("""
        select t from (
            select l::text from lots l where tenant_id = $1
            union all select z::text from zones z where tenant_id = $1
            union all select s::text from spaces s where tenant_id = $1
            union all select se::text from sensors se where tenant_id = $1
            union all select te::text from tenants te where id = $1
            union all select u.id::text || u.role || coalesce(u.tenant_id::text, '') from users u where tenant_id = $1
            union all select p::text from pricing_policies p where tenant_id = $1
            union all select r::text from reservation_policies r where tenant_id = $1
            union all select l::text from zone_rules l where tenant_id = $1
            union all select e::text from pricing_events e where tenant_id = $1
            union all select x::text from pricing_experiments x where tenant_id = $1
            union all select g.id::text || coalesce(g.revoked_at::text, '') from gateways g where tenant_id = $1
            union all select r.id::text || r.status from reservations r where tenant_id = $1
            union all select m.id::text || m.status from meter_sessions m where tenant_id = $1
            union all select c::text from city_guides c where tenant_id = $1
            union all select p::text from sensor_lot_policies p where tenant_id = $1
            union all select f.id::text || f.state from refunds f join payments p on p.id = f.payment_id where p.tenant_id = $1
            union all select w::text from webhook_endpoints w where tenant_id = $1
            union all select a::text from alerts a where tenant_id = $1
            union all select s.settings::text from alert_settings s where tenant_id = $1
            union all select o.id::text from occupancy_imports o where tenant_id = $1
            union all select h::text from lot_occupancy_hourly h where tenant_id = $1
        ) x(t) order by t
        """, TenantB));

    public string Resolve(string template) => template
        .Replace("{lotB}", LotB.ToString(), StringComparison.Ordinal)
        .Replace("{lotA}", LotA.ToString(), StringComparison.Ordinal)
        .Replace("{zoneB}", ZoneB.ToString(), StringComparison.Ordinal)
        .Replace("{spaceB}", SpaceB.ToString(), StringComparison.Ordinal)
        .Replace("{sensorB}", SensorB.ToString(), StringComparison.Ordinal)
        .Replace("{tenantB}", TenantB.ToString(), StringComparison.Ordinal)
        .Replace("{eventB}", EventB.ToString(), StringComparison.Ordinal)
        .Replace("{experimentB}", ExperimentB.ToString(), StringComparison.Ordinal)
        .Replace("{gatewayB}", GatewayB.ToString(), StringComparison.Ordinal)
        .Replace("{reservationB}", ReservationB.ToString(), StringComparison.Ordinal)
        .Replace("{paymentB}", PaymentB.ToString(), StringComparison.Ordinal)
        .Replace("{alertB}", AlertB.ToString(), StringComparison.Ordinal)
        .Replace("{webhookB}", WebhookB.ToString(), StringComparison.Ordinal)
        .Replace("{reportDayB}", ReportDayB, StringComparison.Ordinal)
        .Replace("{historyImportB}", HistoryImportB.ToString(), StringComparison.Ordinal);
}

public sealed partial class TenantIsolationTests(IsolationFactory factory) : IClassFixture<IsolationFactory>
{
    /// <summary>Operator endpoints aimed at one of B's resources, with a valid body so that only the tenant check can refuse them.</summary>
    public static TheoryData<string, string, string> ForeignResourceRequests => new()
    {
        { "GET", "/api/v1/manage/lots/{lotB}", "" },
        { "PUT", "/api/v1/manage/lots/{lotB}", "lot" },
        { "DELETE", "/api/v1/manage/lots/{lotB}", "" },
        { "GET", "/api/v1/manage/lots/{lotB}/zones", "" },
        { "POST", "/api/v1/manage/lots/{lotB}/zones", "zone" },
        { "PUT", "/api/v1/manage/zones/{zoneB}", "zone" },
        { "DELETE", "/api/v1/manage/zones/{zoneB}", "" },
        { "GET", "/api/v1/manage/lots/{lotB}/spaces", "" },
        { "POST", "/api/v1/manage/lots/{lotB}/spaces", "space" },
        { "POST", "/api/v1/manage/lots/{lotB}/spaces/import", "csv" },
        { "GET", "/api/v1/manage/spaces/{spaceB}", "" },
        { "PUT", "/api/v1/manage/spaces/{spaceB}", "space" },
        { "DELETE", "/api/v1/manage/spaces/{spaceB}", "" },
        { "GET", "/api/v1/manage/sensors/{sensorB}", "" },
        { "PUT", "/api/v1/manage/sensors/{sensorB}", "sensor" },
        { "DELETE", "/api/v1/manage/sensors/{sensorB}", "" },
        { "POST", "/api/v1/manage/sensors/{sensorB}/credentials", "" },
        { "GET", "/api/v1/manage/sensors/{sensorB}/readings", "" },
        { "GET", "/api/v1/manage/tenants/{tenantB}", "" },
        { "GET", "/api/v1/manage/lots/{lotB}/pricing-policy", "" },
        { "PUT", "/api/v1/manage/lots/{lotB}/pricing-policy", "pricing" },
        { "GET", "/api/v1/manage/lots/{lotB}/price-history", "" },
        { "GET", "/api/v1/manage/zones/{zoneB}/pricing-policy", "" },
        { "PUT", "/api/v1/manage/zones/{zoneB}/pricing-policy", "pricing" },
        { "DELETE", "/api/v1/manage/zones/{zoneB}/pricing-policy", "" },
        { "GET", "/api/v1/manage/zones/{zoneB}/price-history", "" },
        { "GET", "/api/v1/manage/lots/{lotB}/reservation-policy", "" },
        { "PUT", "/api/v1/manage/lots/{lotB}/reservation-policy", "reservation-policy" },
        { "GET", "/api/v1/manage/lots/{lotB}/parking-rules", "" },
        { "PUT", "/api/v1/manage/lots/{lotB}/parking-rules", "parking-rules" },
        { "GET", "/api/v1/manage/zones/{zoneB}/parking-rules", "" },
        { "PUT", "/api/v1/manage/zones/{zoneB}/parking-rules", "parking-rules" },
        { "DELETE", "/api/v1/manage/pricing-events/{eventB}", "" },
        { "GET", "/api/v1/manage/pricing-experiments/{experimentB}/report", "" },
        { "DELETE", "/api/v1/manage/gateways/{gatewayB}", "" },
        { "POST", "/api/v1/manage/reservations/{reservationB}/cancellation", "cancellation" },
        { "POST", "/api/v1/manage/payments/{paymentB}/refunds", "refund" },
        { "GET", "/api/v1/manage/reports/occupancy?lotId={lotB}", "" },
        { "GET", "/api/v1/manage/analytics/rollups?lotId={lotB}", "" },
        { "GET", "/api/v1/manage/tenants/{tenantB}/city-guide", "" },
        { "PUT", "/api/v1/manage/tenants/{tenantB}/city-guide", "city-guide" },
        { "GET", "/api/v1/manage/lots/{lotB}/sensor-policy", "" },
        { "PUT", "/api/v1/manage/lots/{lotB}/sensor-policy", "sensor-policy" },
        { "DELETE", "/api/v1/manage/lots/{lotB}/sensor-policy", "" },
        { "GET", "/api/v1/manage/webhooks/{webhookB}", "" },
        { "DELETE", "/api/v1/manage/webhooks/{webhookB}", "" },
        { "POST", "/api/v1/manage/webhooks/{webhookB}/secret", "" },
        { "POST", "/api/v1/manage/alerts/{alertB}/acknowledge", "" },
        { "POST", "/api/v1/manage/alerts/{alertB}/resolve", "alert-resolution" },
        { "GET", "/api/v1/manage/analytics/history/{historyImportB}", "" },
    };

    /// <summary>Operator routes with an id that are not about one tenant's resource, and where their isolation is tested.</summary>
    private static readonly string[] NotPerResource =
    [
        "PUT /api/v1/manage/users/{}/role", // admins only: OperatorAccessTests
        "POST /api/v1/manage/tenants/{}/operators", // admins only: TenantSetupTests
        "GET /api/v1/manage/enforcement/plates/{}", // a plate, answered within the operator's tenant: SessionTests
        "GET /api/v1/manage/exports/{}", // a table by name, each scoped to the caller: Export_* below
        "GET /api/v1/manage/reports/daily/{}", // a day's report of the caller's tenant: DailyReportTests.Download_* and DailyReport_OtherTenantsDay_Returns404
        "POST /api/v1/manage/events/dead-letters/{}/{}/replay", // scoped by the event's tenant: EventDispatchTests
        "DELETE /api/v1/manage/events/dead-letters/{}/{}", // likewise
        "DELETE /api/v1/manage/privacy/accounts/{}", // admins only: RightsErasureTests.AdminErase_DriverErasedAndAudited_OperatorsMayNot
        "PUT /api/v1/manage/retention/policies/{}", // a data class, set for the caller's tenant: Privacy.RetentionTests.TenantsOwnPeriod_*
        "DELETE /api/v1/manage/retention/policies/{}", // likewise
    ];

    [Fact]
    public void EveryOperatorRouteWithAnId_IsInTheForeignResourceTable()
    {
        var table = ForeignResourceRequests.Select(r => $"{r[0]} {Normalise((string)r[1])}").ToHashSet();
        var routes = ManageRoutes().Where(r => r.Contains('{')).Except(NotPerResource).ToList();

        routes.Count.ShouldBeGreaterThan(30);
        routes.Where(r => !table.Contains(r)).ShouldBeEmpty("each operator route with an id needs a row in ForeignResourceRequests");
    }

    /// <summary>Every operator endpoint (method and route, ids as {}) from the server's own routing table.</summary>
    private IEnumerable<string> ManageRoutes() =>
        factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/manage", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => $"{m} {Normalise(e.RoutePattern.RawText!)}"))
            .Distinct();

    private static string Normalise(string route) => Regex.Replace(route.TrimEnd('/'), @"\{[^}]+\}", "{}");

    [Theory]
    [MemberData(nameof(ForeignResourceRequests))]
    public async Task OperatorEndpoint_OtherTenantsResource_Returns404AndChangesNothing(string method, string path, string body)
    {
        var before = await factory.SnapshotOfBAsync();
        using var client = factory.ClientFor(factory.OperatorA);
        var request = new HttpRequestMessage(new HttpMethod(method), factory.Resolve(path)) { Content = Body(body) };

        var response = await client.SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        (await factory.SnapshotOfBAsync()).ShouldBe(before);
    }

    public static TheoryData<string> ForeignReads
    {
        get
        {
            var reads = new TheoryData<string>();
            foreach (var row in ForeignResourceRequests)
                if ((string)row[0] == "GET") reads.Add((string)row[1]);
            return reads;
        }
    }

    [Theory]
    [MemberData(nameof(ForeignReads))]
    public async Task OperatorRead_OwnTenantsResource_Returns200(string path)
    {
        // B's own operator reads the same URLs, so the 404s above come from the tenant check and not from bad URLs.
        using var client = factory.ClientFor(factory.OperatorB);
        await client.GetJsonAsync(factory.Resolve(path));
    }

    /// <summary>Operator lists with tenant-stamped pages; <see cref="OtherLists"/> has the rest.</summary>
    public static TheoryData<string> ListEndpoints => new()
    {
        "/api/v1/manage/lots",
        "/api/v1/manage/lots?tenantId={tenantB}",
        "/api/v1/manage/sensors",
        "/api/v1/manage/sensors?tenantId={tenantB}",
        "/api/v1/manage/audit",
        "/api/v1/manage/audit?tenantId={tenantB}",
        "/api/v1/manage/users",
        "/api/v1/manage/users?tenantId={tenantB}",
        "/api/v1/manage/alerts",
        "/api/v1/manage/alerts?tenantId={tenantB}",
    };

    [Theory]
    [MemberData(nameof(ListEndpoints))]
    public async Task OperatorList_OtherTenantsRows_OnlyOwnRowsAreListed(string path)
    {
        using var client = factory.ClientFor(factory.OperatorA);

        var page = await client.GetJsonAsync(factory.Resolve(path));

        var items = page.Items();
        items.ShouldNotBeEmpty();
        items.ShouldAllBe(i => i.GetProperty("tenantId").GetGuid() == factory.TenantA);
        page.GetProperty("total").GetInt64().ShouldBe(items.Count);
        var text = page.ToString();
        foreach (var foreign in factory.ForeignIds)
            text.ShouldNotContain(foreign.ToString());
    }

    /// <summary>Every other operator read without an id, each asked for B's rows outright where it takes a filter.</summary>
    public static TheoryData<string> OtherLists => new()
    {
        "/api/v1/manage/tenants",
        "/api/v1/manage/sensors/health",
        "/api/v1/manage/sensors/health?tenantId={tenantB}",
        "/api/v1/manage/gateways",
        "/api/v1/manage/gateways?tenantId={tenantB}",
        "/api/v1/manage/pricing-events",
        "/api/v1/manage/pricing-events?tenantId={tenantB}",
        "/api/v1/manage/reports/daily",
        "/api/v1/manage/reports/daily?tenantId={tenantB}",
        "/api/v1/manage/pricing-experiments",
        "/api/v1/manage/pricing-experiments?tenantId={tenantB}",
        "/api/v1/manage/reservations",
        "/api/v1/manage/reservations?tenantId={tenantB}&lotId={lotB}",
        "/api/v1/manage/payments",
        "/api/v1/manage/payments?tenantId={tenantB}",
        "/api/v1/manage/sessions",
        "/api/v1/manage/sessions?tenantId={tenantB}&lotId={lotB}",
        "/api/v1/manage/notifications/messages",
        "/api/v1/manage/notifications/messages?tenantId={tenantB}",
        "/api/v1/manage/tables",
        "/api/v1/manage/reports/occupancy",
        "/api/v1/manage/analytics/rollups",
        "/api/v1/manage/analytics/rollups?scope=zone&granularity=day",
        "/api/v1/manage/reports/revenue",
        "/api/v1/manage/overview",
        "/api/v1/manage/webhooks",
        "/api/v1/manage/webhooks?tenantId={tenantB}",
        "/api/v1/manage/webhooks/event-types",
        "/api/v1/manage/alert-settings",
        "/api/v1/manage/alert-settings?tenantId={tenantB}",
        "/api/v1/manage/events/dead-letters",
        "/api/v1/manage/events/dead-letters?tenantId={tenantB}",
        "/api/v1/manage/analytics/forecast/models",
        "/api/v1/manage/analytics/forecast/models?tenantId={tenantB}",
        "/api/v1/manage/analytics/history",
        "/api/v1/manage/analytics/history?tenantId={tenantB}",
        "/api/v1/manage/retention/policies",
        "/api/v1/manage/retention/policies?tenantId={tenantB}",
    };

    /// <summary>Lists only administrators read (an operator is refused), and where that is tested.</summary>
    private static readonly string[] AdminOnlyLists =
    [
        "GET /api/v1/manage/retention/runs", // Privacy.RetentionTests.Runs_ListedNewestFirstForAdminsOnly_*
        "GET /api/v1/manage/sign-in-failures", // Privacy.AccessAuditSignInFailureTests.FailureList_AdminsOnly_*
    ];

    [Theory]
    [MemberData(nameof(OtherLists))]
    public async Task OperatorList_OtherTenantsRows_NoneOfBsIdsAppear(string path)
    {
        using var client = factory.ClientFor(factory.OperatorA);

        var text = await (await client.GetAsync(factory.Resolve(path))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        foreach (var foreign in factory.ForeignIds)
            text.ToString().ShouldNotContain(foreign.ToString());
    }

    [Fact]
    public async Task OperatorLists_OwnTenant_SeesItsOwnRows()
    {
        // B's operator sees B's rows in the same lists, so the empty answers A gets come from the tenant check.
        using var client = factory.ClientFor(factory.OperatorB);
        foreach (var (path, id) in new[]
                 {
                     ("/api/v1/manage/pricing-events", factory.EventB), ("/api/v1/manage/pricing-experiments", factory.ExperimentB),
                     ("/api/v1/manage/gateways", factory.GatewayB), ("/api/v1/manage/reservations", factory.ReservationB),
                     ("/api/v1/manage/sessions", factory.SessionB), ("/api/v1/manage/overview", factory.LotB), ("/api/v1/manage/alerts", factory.AlertB),
                     ("/api/v1/manage/webhooks", factory.WebhookB),
                     ("/api/v1/manage/notifications/messages", factory.NotificationB),
                     ("/api/v1/manage/analytics/history", factory.HistoryImportB),
                 })
            (await client.GetJsonAsync(path)).ToString().ShouldContain(id.ToString(), customMessage: path);
        (await client.GetJsonAsync("/api/v1/manage/payments")).ToString().ShouldContain(factory.ReservationB.ToString());
    }

    [Fact]
    public void EveryOperatorListWithoutAnId_IsCheckedForForeignRows()
    {
        var checkedLists = ListEndpoints.Cast<object[]>().Concat(OtherLists.Cast<object[]>()).Concat(FileReads.Cast<object[]>()).Select(r => "GET " + ((string)r[0]).Split('?')[0])
            .Concat(AdminOnlyLists).ToHashSet();

        ManageRoutes().Where(r => r.StartsWith("GET ", StringComparison.Ordinal) && !r.Contains('{')).Where(r => !checkedLists.Contains(r))
            .ShouldBeEmpty("each operator list needs a row in ListEndpoints or OtherLists");
    }

    [Fact]
    public async Task ListTenants_Operator_SeesOnlyOwnTenant()
    {
        using var client = factory.ClientFor(factory.OperatorA);
        var tenants = await client.GetJsonAsync("/api/v1/manage/tenants");
        tenants.EnumerateArray().Select(t => t.Id()).ShouldBe([factory.TenantA]);
    }

    [Fact]
    public async Task CreateSpace_ZoneOfOtherTenant_Returns400AndWritesNothing()
    {
        using var client = factory.ClientFor(factory.OperatorA);
        var before = await factory.ScalarAsync<long>("select count(*) from spaces");
        await (await client.PostAsJsonAsync($"/api/v1/manage/lots/{factory.LotA}/spaces", Payloads.Space("A-x", zoneId: factory.ZoneB)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "zoneId");
        (await factory.ScalarAsync<long>("select count(*) from spaces")).ShouldBe(before);
    }

    [Fact]
    public async Task CreateSensor_SpaceOrLotOfOtherTenant_Returns400()
    {
        using var client = factory.ClientFor(factory.OperatorA);
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors", Payloads.Sensor(Payloads.NewSerial(), spaceId: factory.SpaceB)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "spaceId");
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors", Payloads.Sensor(Payloads.NewSerial(), lotId: factory.LotB)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "lotId");
    }

    [Fact]
    public async Task UpdateSensor_MoveOwnSensorOntoOtherTenantsSpace_Returns400AndChangesNothing()
    {
        var before = await factory.SnapshotOfBAsync();
        using var client = factory.ClientFor(factory.OperatorA);
        var serial = (await client.GetJsonAsync($"/api/v1/manage/sensors/{factory.SensorA}")).Str("serial");

        await (await client.PutAsJsonAsync($"/api/v1/manage/sensors/{factory.SensorA}", Payloads.Sensor(serial, spaceId: factory.SpaceB)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "spaceId");

        (await factory.SnapshotOfBAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task CreateLotOrSensor_TenantIdOfOtherTenantInBody_IsIgnoredForOperators()
    {
        using var client = factory.ClientFor(factory.OperatorA);
        var lot = Payloads.Lot("Smuggled");
        lot["tenantId"] = factory.TenantB.ToString();
        (await client.CreateLotAsync(lot)).GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantA);

        var sensor = Payloads.Sensor(Payloads.NewSerial());
        sensor["tenantId"] = factory.TenantB.ToString();
        (await client.CreateSensorAsync(sensor)).GetProperty("sensor").GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantA);
    }

    [Fact]
    public async Task PutAlertSettings_TenantIdOfOtherTenant_ChangesOnlyOwnSettings()
    {
        var before = await factory.SnapshotOfBAsync();
        using var client = factory.ClientFor(factory.OperatorA);

        var saved = await (await client.PutAsJsonAsync("/api/v1/manage/alert-settings", new { tenantId = factory.TenantB, sensorsOfflineThreshold = 1 }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        saved.GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantA);
        (await factory.SnapshotOfBAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task FiwareImport_ExternalIdUsedByOtherTenant_CreatesOwnLotAndLeavesOtherTenantsLot()
    {
        var before = await factory.SnapshotOfBAsync();
        using var client = factory.ClientFor(factory.OperatorA);
        const string entity = """{"id":"shared-external-id","type":"OffStreetParking","name":"A's import","location":{"type":"Point","coordinates":[10.2,56.15]}}""";

        var result = await (await client.PostAsync($"/api/v1/manage/import/fiware?tenantId={factory.TenantB}", new StringContent(entity, Encoding.UTF8, "application/json")))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        result.GetProperty("lotsCreated").GetInt32().ShouldBe(1);
        (await factory.ScalarAsync<Guid>("select tenant_id from lots where name = $1", "A's import")).ShouldBe(factory.TenantA);
        (await factory.SnapshotOfBAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task GetPublicLot_OtherTenantsLot_IsVisibleToEveryone()
    {
        // Lots are public to drivers; isolation is about managing them.
        using var anonymous = factory.Anonymous();
        (await anonymous.GetJsonAsync($"/api/v1/lots/{factory.LotB}")).Str("name").ShouldBe("B's lot");
    }

    private HttpContent? Body(string kind) => kind switch
    {
        "lot" => JsonContent.Create(Payloads.Lot("Hijacked")),
        "zone" => JsonContent.Create(Payloads.Zone("HX", "Hijacked")),
        "space" => JsonContent.Create(Payloads.Space("HX-1", "ev")),
        "sensor" => JsonContent.Create(Payloads.Sensor(factory.SensorBSerial, "camera")),
        "csv" => Payloads.Csv("label,type\nHX-2,standard\n"),
        "pricing" => JsonContent.Create(new { baseRate = 99 }),
        "reservation-policy" => JsonContent.Create(new
        {
            reservable = false, minLeadMinutes = 0, maxLeadDays = 30, minDurationMinutes = 15, maxDurationMinutes = 60,
            lateCancellationPercent = 100, noShowGraceMinutes = 0, noShowFee = 99, overstayPerMinute = 9,
        }),
        "city-guide" => JsonContent.Create(new { countryCodes = new[] { "NZ" }, places = new[] { new { name = "Taken over", latitude = 1.0, longitude = 2.0 } } }),
        "sensor-policy" => JsonContent.Create(new { heartbeatSeconds = 3600 }),
        "parking-rules" => JsonContent.Create(new { rules = new[] { new { text = "No Parking" } } }),
        "cancellation" => JsonContent.Create(new { reason = "Hijacked" }),
        "refund" => JsonContent.Create(new { amount = 1, reason = "Hijacked" }),
        "alert-resolution" => JsonContent.Create(new { note = "Hijacked" }),
        _ => null,
    };
}
