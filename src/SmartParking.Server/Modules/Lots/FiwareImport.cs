using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots.Lots;
using SmartParking.Server.Modules.Lots.Spaces;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Fiware;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Lots;

/// <summary>
/// Imports OffStreetParking/OnStreetParking entities as lots, ParkingSpot entities as spaces and Device entities (or a
/// spot's refDevice) as sensors on those spaces, matched by their FIWARE id (kept as given in external_id) or serial, so a
/// re-import updates instead of duplicating.
/// A ParkingSpot whose parking site is unknown gets a lot created for that site at the spot's location.
/// </summary>
public sealed class FiwareImport(NpgsqlDataSource db, AuditLog audit)
{
    public const int MaxEntities = 10_000;

    /// <summary>One NGSI-v2 or NGSI-LD entity or an array of them, into the caller's tenant (admins name one); all or nothing.</summary>
    public async Task<FiwareImportResult> ImportAsync(ClaimsPrincipal principal, Stream body, FiwareImportRequest request, CancellationToken ct)
    {
        using var document = await JsonBody.ReadAsync(body, ct);
        var entities = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement.EnumerateArray().Select(e => new FiwareEntity(e)).ToList() : [new FiwareEntity(document.RootElement)];
        if (entities.Count > MaxEntities) throw new ValidationException("body", $"has more than {MaxEntities} entities.");
        new Validation()
            .Check(request.BaseHourlyRate is null or (>= 0 and <= 10_000), "baseHourlyRate", "must be between 0 and 10000.")
            .Check(request.TimeZone is null || LotsVocabulary.IsTimeZone(request.TimeZone), "timeZone", "must be an IANA time zone such as Europe/Copenhagen.")
            .Check(request.Currency is null || LotsVocabulary.IsCurrency(request.Currency), "currency", "must be an ISO 4217 code such as EUR.")
            .OneOf(request.SensorKind, "sensorKind", SensorKinds.All, required: false)
            .ThrowIfInvalid();

        var owner = principal.TenantForWrite(request.TenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var tenant = await connection.QuerySingleOrDefaultAsync<(string TimeZone, string Currency)>(new CommandDefinition(
            "select time_zone, currency from tenants where id = @owner", new { owner }, tx, cancellationToken: ct));
        if (tenant.TimeZone is null) throw new ValidationException("tenantId", "does not name an existing tenant.");
        var newLot = new Defaults(request.TimeZone ?? tenant.TimeZone, request.Currency ?? tenant.Currency.Trim(), request.BaseHourlyRate ?? 0m);

        var errors = new Validation();
        for (var i = 0; i < entities.Count; i++)
        {
            var e = entities[i];
            if (!e.IsObject) { errors.Add($"[{i}]", "must be an entity (a JSON object)."); continue; }
            if (StoredText.Problem(e.Root, $"[{i}]") is { } badText) { errors.Add($"[{i}]", badText); continue; }
            if (e.Id is null) errors.Add($"[{i}].id", "is required.");
            if (e.Type is not ("OffStreetParking" or "OnStreetParking" or "ParkingSpot" or "Device")) errors.Add($"[{i}].type", "must be OffStreetParking, OnStreetParking, ParkingSpot or Device.");
            // A device is placed by the spot it watches, not by a location of its own.
            if (e.Point() is null && e.Type != "Device") errors.Add($"[{i}].location", "must be a GeoJSON Point.");
            if (e.Attribute("priceCurrency") is not null && !LotsVocabulary.IsCurrency(e.Text("priceCurrency")))
                errors.Add($"[{i}].priceCurrency", "must be an ISO 4217 code such as EUR.");
            if (e.Attribute("priceRatePerMinute") is not null && PerMinute(e) is not (>= 0 and <= 10_000m / 60))
                errors.Add($"[{i}].priceRatePerMinute", "must be a number between 0 and 166.66.");
        }
        errors.ThrowIfInvalid();

        int lotsCreated = 0, lotsUpdated = 0, spacesCreated = 0, spacesUpdated = 0;
        // Sites first, so spots in the same payload find them.
        foreach (var (e, i) in entities.Select((e, i) => (e, i)).Where(x => x.e.Type is "OffStreetParking" or "OnStreetParking"))
        {
            var site = SiteFacts.Of(e);
            var existing = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
                "select id from lots where tenant_id = @owner and external_id = @Id", new { owner, e.Id }, tx, cancellationToken: ct));
            if (existing is { } id)
            {
                var current = (await LotEndpoints.FindAsync(connection, id, owner, ct, tx, forUpdate: true)).ToResponse();
                var update = site.Over(current, request);
                try { LotStore.Validate(update); }
                catch (ValidationException v) { throw Prefixed(v, i); }
                await LotStore.UpdateAsync(audit, connection, tx, principal, owner, id, update, ct);
                lotsUpdated++;
            }
            else
            {
                var lot = site.New(newLot);
                try { LotStore.Validate(lot); }
                catch (ValidationException v) { throw Prefixed(v, i); }
                await LotStore.InsertAsync(audit, connection, tx, principal, owner, lot, ct);
                lotsCreated++;
            }
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
                    newLot.TimeZone, null, null, null, newLot.Rate, newLot.Currency, siteId);
                lotId = await LotStore.InsertAsync(audit, connection, tx, principal, owner, site, ct);
                lotsCreated++;
            }
            var spot = SpotFacts.Of(e);
            // Matched by FIWARE id first: a spot renamed at the source must update its space, not clash with it
            // on the external id (spaces_external) as a new label would.
            var known = await connection.QuerySingleOrDefaultAsync<Space?>(new CommandDefinition(
                $"{SpaceStore.Select} where s.tenant_id = @owner and s.external_id = @Id", new { owner, e.Id }, tx, cancellationToken: ct));
            var space = spot.Over(known);
            var v = SpaceStore.Validate(space);
            if (!v.IsValid) { try { v.ThrowIfInvalid(); } catch (ValidationException ve) { throw Prefixed(ve, i); } }
            if (known is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    update spaces set label = @Label, type = @Type, out_of_service = @OutOfService, latitude = @Latitude, longitude = @Longitude, updated_at = now()
                    where id = @Id
                    """, new { known.Id, Label = space.Label!.Trim(), space.Type, space.OutOfService, space.Latitude, space.Longitude }, tx, cancellationToken: ct));
                spacesUpdated++;
                continue;
            }
            var (_, isNew) = await SpaceStore.UpsertAsync(connection, tx, owner, lotId!.Value, space, ct);
            if (isNew) spacesCreated++; else spacesUpdated++;
        }
        var devices = Devices(entities, request.SensorKind);
        SensorRegistry.ValidateCount(devices.Count, "body");
        var sensors = devices.Count == 0 ? null
            : await SensorRegistry.RegisterAsync(audit, connection, tx, principal, owner, devices.Select(d => d.Item).ToList(), request.RotateSecrets, SpaceService.DefaultSensorKind, ct);
        var result = new FiwareImportResult(lotsCreated, lotsUpdated, spacesCreated, spacesUpdated, sensors?.Created ?? 0, sensors?.Updated ?? 0,
            sensors?.Secrets ?? [], (sensors?.Errors ?? []).Select(x => devices[x.Index].Error(x)).ToList());
        // Counts only: the secrets are the caller's, once, and never stored readable.
        await audit.RecordAsync(connection, tx, principal, owner, "fiware.imported", "tenant", owner,
            new { lotsCreated, lotsUpdated, spacesCreated, spacesUpdated, result.SensorsCreated, result.SensorsUpdated, sensorErrors = result.SensorErrors!.Count }, ct);
        await tx.CommitAsync(ct);
        return result;
    }

    private sealed record Defaults(string TimeZone, string Currency, decimal Rate);

    /// <summary>A sensor to register for a device, and where in the payload it came from (entity index and attribute) for its errors.</summary>
    private sealed record DeviceSensor(BulkSensorItem Item, int Entity, string SerialAttribute, string PlacementAttribute)
    {
        public BulkSensorError Error(BulkSensorError e) => new(Entity, e.Field is "serial" or "kind" ? SerialAttribute : PlacementAttribute, e.Message);
    }

    /// <summary>
    /// A sensor per Device entity (serialNumber, else its id) on the spot its controlledAsset names, or else on the spot whose
    /// refDevice names it; and one per refDevice of a ParkingSpot that has no Device entity in the payload (the device id as serial).
    /// </summary>
    private static List<DeviceSensor> Devices(List<FiwareEntity> entities, string? kind)
    {
        var spotOfDevice = new Dictionary<string, (string Spot, int Index)>(StringComparer.Ordinal);
        foreach (var (e, i) in entities.Select((e, i) => (e, i)).Where(x => x.e.Type == "ParkingSpot"))
            foreach (var device in e.TextList("refDevice"))
                spotOfDevice.TryAdd(device, (e.Id!, i));
        var described = entities.Where(e => e.Type == "Device").Select(e => e.Id!).ToHashSet(StringComparer.Ordinal);
        var sensors = new List<DeviceSensor>();
        foreach (var (e, i) in entities.Select((e, i) => (e, i)).Where(x => x.e.Type == "Device"))
        {
            var spot = e.TextList("controlledAsset").FirstOrDefault() ?? (spotOfDevice.TryGetValue(e.Id!, out var s) ? s.Spot : null);
            sensors.Add(new DeviceSensor(new BulkSensorItem(e.Text("serialNumber") ?? e.Id, kind, SpaceExternalId: spot), i,
                e.Text("serialNumber") is null ? "id" : "serialNumber", "controlledAsset"));
        }
        foreach (var (device, (spot, index)) in spotOfDevice.Where(d => !described.Contains(d.Key)))
            sensors.Add(new DeviceSensor(new BulkSensorItem(device, kind, SpaceExternalId: spot), index, "refDevice", "refDevice"));
        return sensors;
    }

    private static decimal? PerMinute(FiwareEntity e) =>
        e.Attribute("priceRatePerMinute") is { ValueKind: JsonValueKind.Number } n && n.TryGetDecimal(out var d) ? d : null;

    /// <summary>Amenities the import derives from FIWARE categories; any other amenity is the operator's and survives a re-import.</summary>
    private static readonly string[] DerivedAmenities = ["covered", "security"];

    /// <summary>
    /// What an OffStreetParking/OnStreetParking entity says of its site; null where it says nothing, so a re-import
    /// changes only what the data carries. Read: name, address (each part), location, totalSpotNumber and
    /// twoWheelerSlots (capacity), category and layout (covered, security), priceCurrency and priceRatePerMinute.
    /// </summary>
    private sealed record SiteFacts(string Id, string Kind, string? Name, string? Street, string? City, string? PostalCode, string? Country,
        double Latitude, double Longitude, Dictionary<string, int>? Capacity, List<string>? Amenities, string? Currency, decimal? HourlyRate)
    {
        public static SiteFacts Of(FiwareEntity e)
        {
            var (lat, lng) = e.Point()!.Value;
            Dictionary<string, int>? capacity = null;
            if (e.Integer("totalSpotNumber") is { } total)
            {
                var twoWheelers = e.SlotTotal("twoWheelerSlots") ?? 0;
                capacity = new Dictionary<string, int> { ["standard"] = Math.Max(0, total - twoWheelers) };
                if (twoWheelers > 0) capacity["motorcycle"] = twoWheelers;
            }
            List<string>? amenities = null;
            if (e.Attribute("category") is not null || e.Attribute("layout") is not null)
            {
                var categories = e.TextList("category");
                amenities = [];
                if (categories.Contains("underground") || e.TextList("layout").Contains("multiLevel")) amenities.Add("covered");
                if (categories.Contains("guarded")) amenities.Add("security");
            }
            return new SiteFacts(e.Id!, e.Type == "OnStreetParking" ? "on_street" : "off_street", e.Text("name"),
                e.AddressPart("streetAddress"), e.AddressPart("addressLocality"), e.AddressPart("postalCode"), e.AddressPart("addressCountry"),
                lat, lng, capacity, amenities, e.Text("priceCurrency"), PerMinute(e) is { } perMinute ? decimal.Round(perMinute * 60, 2) : null);
        }

        public LotRequest New(Defaults d) => new(null, Name ?? FiwareEntity.ShortName(Id), Kind, new AddressDto(Street, City, PostalCode, Country),
            Latitude, Longitude, d.TimeZone, null, Amenities ?? [], Capacity ?? [], HourlyRate ?? d.Rate, Currency ?? d.Currency, Id);

        /// <summary>The lot as it is, with what the data and the request carry laid over it.</summary>
        public LotRequest Over(LotResponse lot, FiwareImportRequest request) => new(null, Name ?? lot.Name, Kind,
            new AddressDto(Street ?? lot.Address.Street, City ?? lot.Address.City, PostalCode ?? lot.Address.PostalCode, Country ?? lot.Address.Country),
            Latitude, Longitude, request.TimeZone ?? lot.TimeZone, lot.OpeningHours,
            Amenities is null ? lot.Amenities : lot.Amenities.Except(DerivedAmenities).Concat(Amenities).ToList(),
            Capacity ?? lot.Capacity, HourlyRate ?? request.BaseHourlyRate ?? lot.BaseHourlyRate, Currency ?? request.Currency ?? lot.Currency, Id);
    }

    /// <summary>What a ParkingSpot says of its space (name, category, status, location); null where it says nothing.</summary>
    private sealed record SpotFacts(string Id, string? Label, string? Type, bool? OutOfService, double Latitude, double Longitude)
    {
        public static SpotFacts Of(FiwareEntity e)
        {
            var categories = e.TextList("category");
            var type = e.Attribute("category") is null ? null
                : categories.Contains("forDisabled") ? "accessible"
                : categories.Contains("forElectricalCharging") ? "ev"
                : categories.Contains("forLoadUnload") ? "loading"
                : categories.Contains("forMotorcycles") ? "motorcycle"
                : "standard";
            var label = e.Text("name") is { } name ? name.Length > 40 ? name[..40] : name : null;
            var (lat, lng) = e.Point()!.Value;
            return new SpotFacts(e.Id!, label, type, e.Text("status") is { } status ? status == "closed" : null, lat, lng);
        }

        public SpaceRequest Over(Space? space)
        {
            var label = Label ?? space?.Label ?? FiwareEntity.ShortName(Id);
            return new SpaceRequest(label.Length > 40 ? label[..40] : label, Type ?? space?.Type ?? "standard", null, null,
                OutOfService ?? space?.OutOfService ?? false, Latitude, Longitude, Id);
        }
    }

    private static ValidationException Prefixed(ValidationException e, int index) =>
        new(e.Errors.ToDictionary(kv => $"[{index}].{kv.Key}", kv => kv.Value));
}
