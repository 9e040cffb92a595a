using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Docs;

/// <summary>The OpenAPI document describes what each endpoint really takes, including those that read their body themselves.</summary>
public sealed class OpenApiDocumentTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    /// <summary>Operations that truly take no body: the caller's identity, the path and the query say it all.</summary>
    private static readonly HashSet<string> NoBody =
    [
        "POST /api/v1/auth/mfa/setup",                    // starts enrolment for the signed-in account
        "POST /api/v1/manage/sensors/{id}/credentials",   // rotates the sensor's secret
        "POST /api/v1/reservations/{id}/payment",         // charges the driver's saved method
        "POST /api/v1/reservations/{id}/cancellation",
        "POST /api/v1/reservations/{id}/check-in",
        "POST /api/v1/reservations/{id}/check-out",
        "POST /api/v1/sessions/{id}/stop",
        "POST /api/v1/manage/webhooks/{id}/secret",       // rotates the webhook's signing secret
        "POST /api/v1/me/push-subscriptions/test",        // a test push to the caller's own devices
        "POST /api/v1/me/chat-link-code",                 // a new one-time code for the signed-in driver
        "POST /api/v1/chat/handoffs/{id}/close",          // ends a hand-over to a person
        "POST /api/v1/manage/retention/runs",             // applies every retention period now
        "POST /api/v1/manage/events/dead-letters/{subscriber}/{eventId}/replay", // puts the event back in line
        "POST /api/v1/manage/alerts/{id}/acknowledge",    // the signed-in operator acknowledges it
        "POST /api/v1/manage/analytics/forecast/retrain", // trains the operator's tenant's forecast model
    ];

    private async Task<JsonElement> DocumentAsync()
    {
        using var client = factory.Anonymous();
        var document = await client.GetJsonAsync("/openapi/v1.json");
        return document;
    }

    private static IEnumerable<(string Key, JsonElement Operation)> Writes(JsonElement document) =>
        from path in document.GetProperty("paths").EnumerateObject()
        from op in path.Value.EnumerateObject()
        where op.Name is "post" or "put" or "patch"
        select ($"{op.Name.ToUpperInvariant()} {path.Name}", op.Value);

    /// <summary>The schema, following a <c>$ref</c> into <c>components/schemas</c>.</summary>
    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        while (schema.TryGetProperty("$ref", out var reference))
            schema = document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]);
        return schema;
    }

    private static JsonElement Body(JsonElement document, string method, string path, string contentType)
    {
        var operation = document.GetProperty("paths").GetProperty(path).GetProperty(method);
        operation.TryGetProperty("requestBody", out var body).ShouldBeTrue($"{method} {path} has no requestBody");
        var content = body.GetProperty("content");
        content.TryGetProperty(contentType, out var media).ShouldBeTrue($"{method} {path} takes {string.Join(", ", content.EnumerateObject().Select(c => c.Name))}, not {contentType}");
        return Resolve(document, media.GetProperty("schema"));
    }

    private static bool IsEmpty(JsonElement document, JsonElement schema)
    {
        schema = Resolve(document, schema);
        return !schema.EnumerateObject().Any(p => p.Name is "type" or "properties" or "items" or "oneOf" or "anyOf" or "allOf");
    }

    private static IReadOnlyList<string> Required(JsonElement schema) =>
        schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).ToList() : [];

    private static JsonElement Property(JsonElement document, JsonElement schema, string name) =>
        Resolve(document, schema.GetProperty("properties").GetProperty(name));

    [Fact]
    public async Task EveryWrite_TakingABody_DescribesItsSchema()
    {
        var document = await DocumentAsync();
        NoBody.ShouldBeSubsetOf(Writes(document).Select(w => w.Key), "the list names only operations that exist");
        var missing = new List<string>();
        foreach (var (key, operation) in Writes(document))
        {
            if (NoBody.Contains(key))
            {
                // The list must not hide an operation that has since started taking a body.
                operation.TryGetProperty("requestBody", out _).ShouldBeFalse($"{key} takes a body now; describe it and take it off the list");
                continue;
            }
            if (!operation.TryGetProperty("requestBody", out var body)) { missing.Add(key + ": no requestBody"); continue; }
            foreach (var media in body.GetProperty("content").EnumerateObject())
                if (!media.Value.TryGetProperty("schema", out var schema) || IsEmpty(document, schema)) missing.Add($"{key}: {media.Name} has no schema");
        }
        missing.ShouldBeEmpty();
    }

    [Fact]
    public async Task EveryReference_ResolvesToAComponent()
    {
        var document = await DocumentAsync();
        var components = document.GetProperty("components").GetProperty("schemas").EnumerateObject().Select(c => "#/components/schemas/" + c.Name).ToHashSet();
        var dangling = new List<string>();
        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
                foreach (var p in e.EnumerateObject())
                    if (p.Name == "$ref" && !components.Contains(p.Value.GetString()!)) dangling.Add(p.Value.GetString()!);
                    else Walk(p.Value);
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var item in e.EnumerateArray()) Walk(item);
        }
        Walk(document.GetProperty("paths"));
        Walk(document.GetProperty("components"));
        dangling.ShouldBeEmpty();
    }

    [Fact]
    public async Task ReadingBatch_Item_RequiresOnlyWhatTheServerRequires()
    {
        var document = await DocumentAsync();
        var batch = Body(document, "post", "/api/v1/ingest/readings", "application/json");
        var item = Resolve(document, (batch.TryGetProperty("items", out var items) ? items : Property(document, batch, "readings").GetProperty("items")));
        var properties = item.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        properties.ShouldContain("sensorId");
        properties.ShouldContain("status");
        properties.ShouldContain("occupied");
        properties.ShouldContain("observedAt");
        // sensorId may be left out by a device (its own); status or occupied, one of the two.
        Required(item).ShouldBeEmpty();
        Property(document, item, "status").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ShouldBe(["free", "occupied", "closed", "unknown"], ignoreOrder: true);
        Property(document, item, "observedAt").GetProperty("description").GetString()!.ShouldContain("ISO 8601");
    }

    [Fact]
    public async Task FiwareBodies_AreDescribed()
    {
        var document = await DocumentAsync();
        var ld = Body(document, "post", "/ngsi-ld/v1/entityOperations/upsert", "application/json");
        var spot = Resolve(document, ld.GetProperty("items"));
        Required(spot).ShouldBe(["id", "type"], ignoreOrder: true);
        spot.GetProperty("properties").TryGetProperty("status", out _).ShouldBeTrue();
        Body(document, "post", "/ngsi-ld/v1/entityOperations/upsert", "application/ld+json");

        var v2 = Body(document, "post", "/v2/op/update", "application/json");
        Required(v2).ShouldBe(["actionType", "entities"], ignoreOrder: true);
        Property(document, v2, "actionType").GetProperty("enum").GetArrayLength().ShouldBe(4);

        var import = Body(document, "post", "/api/v1/manage/import/fiware", "application/json");
        import.TryGetProperty("oneOf", out var shapes).ShouldBeTrue("one entity or an array of them");
        var entity = Resolve(document, shapes.EnumerateArray().First(s => !Resolve(document, s).TryGetProperty("items", out _)));
        Required(entity).ShouldBe(["id", "type", "location"], ignoreOrder: true);
        Property(document, entity, "type").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ShouldBe(["OffStreetParking", "OnStreetParking", "ParkingSpot"], ignoreOrder: true);
    }

    [Fact]
    public async Task SpaceCsvImport_DescribesItsColumns()
    {
        var document = await DocumentAsync();
        var csv = Body(document, "post", "/api/v1/manage/lots/{lotId}/spaces/import", "text/csv");
        csv.GetProperty("type").GetString().ShouldBe("string");
        var description = csv.GetProperty("description").GetString()!;
        foreach (var column in new[] { "label", "type", "level", "zone", "out_of_service", "latitude", "longitude", "external_id" })
            description.ShouldContain(column);
        description.ShouldContain("required");
    }

    [Fact]
    public async Task TypedBodies_MarkOptionalFieldsOptional_AndListEnumValues()
    {
        var document = await DocumentAsync();
        var space = Body(document, "post", "/api/v1/manage/lots/{lotId}/spaces", "application/json");
        Required(space).ShouldBe(["label", "type"], ignoreOrder: true);
        Property(document, space, "type").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ShouldContain("ev");
    }

    /// <summary>
    /// The schema's required fields are exactly those the endpoint's validator names when they are all left out, so the
    /// document cannot drift from the checks.
    /// </summary>
    [Theory]
    [InlineData("/api/v1/manage/lots")]
    [InlineData("/api/v1/manage/lots/{lotId}/zones")]
    [InlineData("/api/v1/manage/lots/{lotId}/spaces")]
    [InlineData("/api/v1/manage/sensors")]
    [InlineData("/api/v1/manage/gateways")]
    [InlineData("/api/v1/manage/pricing-events")]
    [InlineData("/api/v1/manage/pricing-experiments")]
    public async Task RequiredFields_AreThoseTheValidatorAsksFor(string path)
    {
        var document = await DocumentAsync();
        var schema = Body(document, "post", path, "application/json");
        using var op = factory.OperatorClient();
        var lotId = path.Contains("{lotId}", StringComparison.Ordinal) ? (await op.CreateLotAsync()).Id() : Guid.Empty;
        var problem = await (await op.PostAsJsonAsync(path.Replace("{lotId}", lotId.ToString(), StringComparison.Ordinal), new { }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldBe(Required(schema), ignoreOrder: true);
    }
}
