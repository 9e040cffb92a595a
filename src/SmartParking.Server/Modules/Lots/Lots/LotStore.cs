using System.Data;
using System.Security.Claims;
using System.Text.Json;
using Dapper;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Lots.Lots;

/// <summary>Validation and writes for lots, shared by the REST endpoints, the FIWARE import and the demo seed.</summary>
public static class LotStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Validate(LotRequest r)
    {
        var v = new Validation()
            .Required(r.Name, "name", 200)
            .OneOf(r.Kind, "kind", LotsVocabulary.LotKinds)
            .Coordinates(r.Latitude, r.Longitude)
            .Check(LotsVocabulary.IsTimeZone(r.TimeZone), "timeZone", "must be an IANA time zone such as Europe/Copenhagen.")
            .Check(r.BaseHourlyRate is >= 0 and <= 10_000, "baseHourlyRate", "is required and must be between 0 and 10000.")
            .Check(r.BaseHourlyRate is null || decimal.Round(r.BaseHourlyRate.Value, 2) == r.BaseHourlyRate, "baseHourlyRate", "must have at most 2 decimals.")
            .Check(LotsVocabulary.IsCurrency(r.Currency), "currency", "must be an ISO 4217 code such as EUR.")
            .MaxLength(r.ExternalId, "externalId", 300);
        if (r.Address is { } a)
            v.MaxLength(a.Street, "address.street", 300).MaxLength(a.City, "address.city", 100).MaxLength(a.PostalCode, "address.postalCode", 20).MaxLength(a.Country, "address.country", 100);
        OpeningHours.Validate(v, r.OpeningHours);
        foreach (var amenity in r.Amenities ?? [])
            v.OneOf(amenity, "amenities", LotsVocabulary.Amenities);
        foreach (var (type, count) in r.Capacity ?? new Dictionary<string, int>())
        {
            v.OneOf(type, "capacity", LotsVocabulary.SpaceTypes);
            v.Check(count is >= 0 and <= 100_000, $"capacity.{type}", "must be between 0 and 100000.");
        }
        v.ThrowIfInvalid();
    }

    public static async Task<Guid> InsertAsync(AuditLog audit, IDbConnection connection, IDbTransaction tx, ClaimsPrincipal? actor, Guid tenantId, LotRequest r, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into lots (id, tenant_id, name, kind, street_address, city, postal_code, country, latitude, longitude, time_zone,
                              opening_hours, amenities, capacity, base_hourly_rate, currency, external_id)
            values (@id, @tenantId, @Name, @Kind, @Street, @City, @PostalCode, @Country, @Latitude, @Longitude, @TimeZone,
                    @Hours::jsonb, @Amenities, @Capacity::jsonb, @BaseHourlyRate, @Currency, @ExternalId)
            """, Parameters(r, new { id, tenantId }), tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, actor, tenantId, "lot.created", "lot", id, r with { TenantId = tenantId }, ct);
        return id;
    }

    public static async Task UpdateAsync(AuditLog audit, IDbConnection connection, IDbTransaction tx, ClaimsPrincipal? actor, Guid tenantId, Guid id, LotRequest r, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            update lots set name = @Name, kind = @Kind, street_address = @Street, city = @City, postal_code = @PostalCode, country = @Country,
                latitude = @Latitude, longitude = @Longitude, time_zone = @TimeZone, opening_hours = @Hours::jsonb, amenities = @Amenities,
                capacity = @Capacity::jsonb, base_hourly_rate = @BaseHourlyRate, currency = @Currency, external_id = @ExternalId, updated_at = now()
            where id = @id and tenant_id = @tenantId
            """, Parameters(r, new { id, tenantId }), tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, actor, tenantId, "lot.updated", "lot", id, r with { TenantId = tenantId }, ct);
    }

    private static DynamicParameters Parameters(LotRequest r, object keys)
    {
        var p = new DynamicParameters(keys);
        p.AddDynamicParams(new
        {
            Name = r.Name!.Trim(),
            r.Kind,
            r.Address?.Street,
            r.Address?.City,
            r.Address?.PostalCode,
            r.Address?.Country,
            r.Latitude,
            r.Longitude,
            r.TimeZone,
            Hours = JsonSerializer.Serialize(r.OpeningHours ?? [], Json),
            Amenities = (r.Amenities ?? []).Distinct().ToArray(),
            Capacity = JsonSerializer.Serialize(r.Capacity ?? new Dictionary<string, int>(), Json),
            r.BaseHourlyRate,
            r.Currency,
            r.ExternalId,
        });
        return p;
    }
}
