using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Identity.Audit;
using SmartParking.Server.Modules.Lots.Lots;
using SmartParking.Server.Modules.Lots.Spaces;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Fiware;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Input;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Lots.Import;

public sealed record FiwareImportResult(int LotsCreated, int LotsUpdated, int SpacesCreated, int SpacesUpdated);

public static class FiwareImportEndpoints
{
    public static void MapFiwareImport(this IEndpointRouteBuilder app, IConfiguration configuration) =>
        app.MapPost("/api/v1/manage/import/fiware", ImportAsync).WithTags("Import").RequireAuthorization(Policies.Operator).AllowImportSizedBody(configuration)
            .DescribeBody<FiwareImportEntity>($"One NGSI-v2 or NGSI-LD entity or an array of at most {FiwareImport.MaxEntities:N0}, normalized or key-values; all or nothing.",
                oneOrMany: true, "application/json", "application/ld+json");

    private static Task<FiwareImportResult> ImportAsync(HttpRequest http, ClaimsPrincipal principal, FiwareImport import, Guid? tenantId,
        decimal? baseHourlyRate, CancellationToken ct) =>
        import.ImportAsync(principal, http.Body, tenantId, baseHourlyRate, ct);
}

/// <summary>
/// Imports OffStreetParking/OnStreetParking entities as lots and ParkingSpot entities as spaces, matched by
/// their FIWARE id (kept as given in external_id) so a re-import updates instead of duplicating.
/// A ParkingSpot whose parking site is unknown gets a lot created for that site at the spot's location.
/// </summary>
public sealed class FiwareImport(NpgsqlDataSource db)
{
    public const int MaxEntities = 10_000;

    /// <summary>One NGSI-v2 or NGSI-LD entity or an array of them, into the caller's tenant (admins name one); all or nothing.</summary>
    public async Task<FiwareImportResult> ImportAsync(ClaimsPrincipal principal, Stream body, Guid? tenantId, decimal? baseHourlyRate, CancellationToken ct)
    {
        using var document = await JsonBody.ReadAsync(body, ct);
        var entities = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement.EnumerateArray().Select(e => new FiwareEntity(e)).ToList() : [new FiwareEntity(document.RootElement)];
        if (entities.Count > MaxEntities) throw new ValidationException("body", $"has more than {MaxEntities} entities.");
        new Validation().Check(baseHourlyRate is null or (>= 0 and <= 10_000), "baseHourlyRate", "must be between 0 and 10000.").ThrowIfInvalid();

        var owner = principal.TenantForWrite(tenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var tenant = await connection.QuerySingleOrDefaultAsync<(string TimeZone, string Currency)>(new CommandDefinition(
            "select time_zone, currency from tenants where id = @owner", new { owner }, tx, cancellationToken: ct));
        if (tenant.TimeZone is null) throw new ValidationException("tenantId", "does not name an existing tenant.");
        var defaults = new Defaults(tenant.TimeZone, tenant.Currency.Trim(), baseHourlyRate ?? 0m);

        var errors = new Validation();
        for (var i = 0; i < entities.Count; i++)
        {
            var e = entities[i];
            if (!e.IsObject) { errors.Add($"[{i}]", "must be an entity (a JSON object)."); continue; }
            if (StoredText.Problem(e.Root, $"[{i}]") is { } badText) { errors.Add($"[{i}]", badText); continue; }
            if (e.Id is null) errors.Add($"[{i}].id", "is required.");
            if (e.Type is not ("OffStreetParking" or "OnStreetParking" or "ParkingSpot")) errors.Add($"[{i}].type", "must be OffStreetParking, OnStreetParking or ParkingSpot.");
            if (e.Point() is null) errors.Add($"[{i}].location", "must be a GeoJSON Point.");
        }
        errors.ThrowIfInvalid();

        int lotsCreated = 0, lotsUpdated = 0, spacesCreated = 0, spacesUpdated = 0;
        // Sites first, so spots in the same payload find them.
        foreach (var (e, i) in entities.Select((e, i) => (e, i)).Where(x => x.e.Type != "ParkingSpot"))
        {
            var request = LotFromSite(e, defaults);
            try { LotStore.Validate(request); }
            catch (ValidationException v) { throw Prefixed(v, i); }
            var (_, created) = await UpsertLotAsync(connection, tx, principal, owner, request, ct);
            if (created) lotsCreated++; else lotsUpdated++;
        }
        foreach (var (e, i) in entities.Select((e, i) => (e, i)).Where(x => x.e.Type == "ParkingSpot"))
        {
            var siteId = e.Text("refParkingSite") ?? e.Text("refParkingSpot") ?? e.Id!;
            var lotId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
                "select id from lots where tenant_id = @owner and external_id = @siteId", new { owner, siteId }, tx, cancellationToken: ct));
            if (lotId is null)
            {
                var (lat, lng) = e.Point()!.Value;
                var onStreet = e.TextList("category").Contains("onStreet");
                var site = new LotRequest(owner, FiwareEntity.ShortName(siteId), onStreet ? "on_street" : "off_street", null, lat, lng,
                    defaults.TimeZone, null, null, null, defaults.Rate, defaults.Currency, siteId);
                lotId = (await UpsertLotAsync(connection, tx, principal, owner, site, ct)).Id;
                lotsCreated++;
            }
            var space = SpaceFromSpot(e);
            var v = SpaceStore.Validate(space);
            if (!v.IsValid) { try { v.ThrowIfInvalid(); } catch (ValidationException ve) { throw Prefixed(ve, i); } }
            // Matched by FIWARE id first: a spot renamed at the source must update its space, not clash with it
            // on the external id (spaces_external) as a new label would.
            var known = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
                "select id from spaces where tenant_id = @owner and external_id = @ExternalId", new { owner, space.ExternalId }, tx, cancellationToken: ct));
            if (known is { } spaceId)
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    update spaces set label = @Label, type = @Type, out_of_service = @OutOfService, latitude = @Latitude, longitude = @Longitude, updated_at = now()
                    where id = @spaceId
                    """, new { spaceId, Label = space.Label!.Trim(), space.Type, OutOfService = space.OutOfService ?? false, space.Latitude, space.Longitude }, tx, cancellationToken: ct));
                spacesUpdated++;
                continue;
            }
            var (_, isNew) = await SpaceStore.UpsertAsync(connection, tx, owner, lotId!.Value, space, ct);
            if (isNew) spacesCreated++; else spacesUpdated++;
        }
        var result = new FiwareImportResult(lotsCreated, lotsUpdated, spacesCreated, spacesUpdated);
        await AuditLog.RecordAsync(connection, tx, principal, owner, "fiware.imported", "tenant", owner, result, ct);
        await tx.CommitAsync(ct);
        return result;
    }

    private sealed record Defaults(string TimeZone, string Currency, decimal Rate);

    private static LotRequest LotFromSite(FiwareEntity e, Defaults d)
    {
        var (lat, lng) = e.Point()!.Value;
        var total = e.Integer("totalSpotNumber");
        var twoWheelers = e.SlotTotal("twoWheelerSlots") ?? 0;
        var capacity = new Dictionary<string, int>();
        if (total is { } t)
        {
            capacity["standard"] = Math.Max(0, t - twoWheelers);
            if (twoWheelers > 0) capacity["motorcycle"] = twoWheelers;
        }
        var categories = e.TextList("category");
        var amenities = new List<string>();
        if (categories.Contains("underground") || e.TextList("layout").Contains("multiLevel")) amenities.Add("covered");
        if (categories.Contains("guarded")) amenities.Add("security");
        return new LotRequest(null,
            e.Text("name") ?? FiwareEntity.ShortName(e.Id!),
            e.Type == "OnStreetParking" ? "on_street" : "off_street",
            new AddressDto(e.AddressPart("streetAddress"), e.AddressPart("addressLocality"), e.AddressPart("postalCode"), e.AddressPart("addressCountry")),
            lat, lng, d.TimeZone, null, amenities, capacity, d.Rate, d.Currency, e.Id);
    }

    private static SpaceRequest SpaceFromSpot(FiwareEntity e)
    {
        var categories = e.TextList("category");
        var type = categories.Contains("forDisabled") ? "accessible"
            : categories.Contains("forElectricalCharging") ? "ev"
            : categories.Contains("forLoadUnload") ? "loading"
            : categories.Contains("forMotorcycles") ? "motorcycle"
            : "standard";
        var (lat, lng) = e.Point()!.Value;
        var label = e.Text("name") ?? FiwareEntity.ShortName(e.Id!);
        return new SpaceRequest(label.Length > 40 ? label[..40] : label, type, null, null, e.Text("status") == "closed", lat, lng, e.Id);
    }

    private static async Task<(Guid Id, bool Created)> UpsertLotAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ClaimsPrincipal actor, Guid owner, LotRequest request, CancellationToken ct)
    {
        var existing = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "select id from lots where tenant_id = @owner and external_id = @ExternalId", new { owner, request.ExternalId }, tx, cancellationToken: ct));
        if (existing is { } id)
        {
            await LotStore.UpdateAsync(connection, tx, actor, owner, id, request, ct);
            return (id, false);
        }
        return (await LotStore.InsertAsync(connection, tx, actor, owner, request, ct), true);
    }

    private static ValidationException Prefixed(ValidationException e, int index) =>
        new(e.Errors.ToDictionary(kv => $"[{index}].{kv.Key}", kv => kv.Value));
}
