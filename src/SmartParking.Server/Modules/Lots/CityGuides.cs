using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Lots;

/// <summary>A named place of a city that drivers search for, with the other names they use for it.</summary>
public sealed record CityPlace(string Name, double Latitude, double Longitude, IReadOnlyList<string>? Aliases = null)
{
    public IReadOnlyList<string> Aliases { get; init; } = Aliases ?? [];
}

/// <summary>What an operator sets for the driver app in their city: address lookup countries and named places.</summary>
public sealed record CityGuideRequest(IReadOnlyList<string>? CountryCodes, IReadOnlyList<CityPlace?>? Places);

/// <summary>
/// A tenant with lots, as the driver app offers it: its name, its time zone (the default for arrival times there), the
/// ISO 3166 countries its addresses are in, and its named places.
/// </summary>
public sealed record City(Guid TenantId, string Slug, string Name, string TimeZone, string Currency, IReadOnlyList<string> CountryCodes, IReadOnlyList<CityPlace> Places);

/// <summary>
/// The city guides of every tenant with lots, for the driver app's place search. Read on every search page, so kept in
/// memory and dropped on any catalogue notice (a guide or a lot changed on some node).
/// </summary>
public sealed class CityGuides : IEventHandler<LotCatalogChanged>, IEventHandler<CityGuideChanged>
{
    public const int MaxPlaces = 500;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly NpgsqlDataSource _db;
    private readonly EventOutbox _outbox;
    private readonly AuditLog _audit;
    private volatile IReadOnlyList<City>? _cities;
    private long _generation;

    public CityGuides(NpgsqlDataSource db, EventOutbox outbox, AuditLog audit)
    {
        _db = db;
        _outbox = outbox;
        _audit = audit;
    }

    // A lot added or removed can add or remove a city; a guide edited changes its places.
    public Task HandleAsync(LotCatalogChanged domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        Forget();
        return Task.CompletedTask;
    }

    public Task HandleAsync(CityGuideChanged domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        Forget();
        return Task.CompletedTask;
    }

    private void Forget()
    {
        Interlocked.Increment(ref _generation);
        _cities = null;
    }

    /// <summary>Every tenant that has a lot, by name.</summary>
    public async Task<IReadOnlyList<City>> AllAsync(CancellationToken ct)
    {
        if (_cities is { } known) return known;
        var generation = Interlocked.Read(ref _generation);
        await using var connection = await _db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<CityRow>(new CommandDefinition("""
            select t.id as tenant_id, t.slug, t.name, t.time_zone, t.currency, coalesce(g.country_codes, '{}') as country_codes,
                   coalesce(g.places, '[]')::text as places
            from tenants t left join city_guides g on g.tenant_id = t.id
            where exists (select 1 from lots l where l.tenant_id = t.id)
            order by t.name
            """, cancellationToken: ct));
        var cities = rows.Select(r => r.ToCity()).ToList();
        // Not kept if a notice came while reading: it may describe a change this answer missed.
        if (Interlocked.Read(ref _generation) == generation) _cities = cities;
        return cities;
    }

    public async Task<City?> FindAsync(string? slug, CancellationToken ct) =>
        string.IsNullOrWhiteSpace(slug) ? null : (await AllAsync(ct)).FirstOrDefault(c => c.Slug == slug.Trim().ToLowerInvariant());

    /// <summary>Replaces a tenant's guide (the Demo module seeds its city's with this too).</summary>
    public async Task<CityGuideRequest> SaveAsync(Guid tenantId, CityGuideRequest request, ClaimsPrincipal? principal, CancellationToken ct)
    {
        var (countries, places) = Validate(request);
        await using var connection = await _db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from tenants where id = @tenantId)", new { tenantId }, tx, cancellationToken: ct)))
            throw new NotFoundException("Tenant");
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into city_guides (tenant_id, country_codes, places) values (@tenantId, @countries, @places::jsonb)
            on conflict (tenant_id) do update set country_codes = excluded.country_codes, places = excluded.places, updated_at = now()
            """, new { tenantId, countries, places = JsonSerializer.Serialize(places, Json) }, tx, cancellationToken: ct));
        await _outbox.AppendAsync(connection, tx, new CityGuideChanged(tenantId), ct);
        if (principal is not null)
            await _audit.RecordAsync(connection, tx, principal, tenantId, "city_guide.updated", "tenant", tenantId, new { countries, places = places.Count }, ct);
        await tx.CommitAsync(ct);
        Forget();
        return new CityGuideRequest(countries, places);
    }

    public async Task<CityGuideRequest> GetAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<CityRow>(new CommandDefinition(
            "select country_codes, places::text as places from city_guides where tenant_id = @tenantId", new { tenantId }, cancellationToken: ct));
        return row is null ? new CityGuideRequest([], []) : new CityGuideRequest(row.CountryCodes, row.ToCity().Places);
    }

    private static (string[] Countries, List<CityPlace> Places) Validate(CityGuideRequest request)
    {
        var v = new Validation();
        var countries = (request.CountryCodes ?? []).ToArray();
        v.Check(countries.Length <= 20, "countryCodes", "at most 20 countries.");
        for (var i = 0; i < countries.Length; i++)
            v.Check(countries[i] is { Length: 2 } c && c.All(char.IsAsciiLetter), $"countryCodes[{i}]", "must be a two-letter ISO 3166 country code such as AU.");
        var places = request.Places ?? [];
        v.Check(places.Count <= MaxPlaces, "places", $"at most {MaxPlaces} places.");
        for (var i = 0; i < places.Count && i < MaxPlaces; i++)
        {
            var field = $"places[{i}]";
            if (places[i] is not { } p)
            {
                v.Add(field, "must be a place.");
                continue;
            }
            v.Required(p.Name, field + ".name", 200)
                .Check(p.Latitude is >= -90 and <= 90, field + ".latitude", "must be between -90 and 90.")
                .Check(p.Longitude is >= -180 and <= 180, field + ".longitude", "must be between -180 and 180.")
                .Check(p.Aliases.Count <= 20, field + ".aliases", "at most 20 aliases.");
            for (var a = 0; a < p.Aliases.Count && a < 20; a++) v.Required(p.Aliases[a], $"{field}.aliases[{a}]", 200);
        }
        v.ThrowIfInvalid();
        return (countries.Select(c => c.ToUpperInvariant()).Distinct().ToArray(),
            places.Select(p => new CityPlace(p!.Name.Trim(), p.Latitude, p.Longitude, p.Aliases.Select(a => a.Trim()).ToList())).ToList());
    }

    private sealed class CityRow
    {
        public Guid TenantId { get; init; }
        public string Slug { get; init; } = "";
        public string Name { get; init; } = "";
        public string TimeZone { get; init; } = "";
        public string Currency { get; init; } = "";
        public string[] CountryCodes { get; init; } = [];
        public string Places { get; init; } = "[]";

        public City ToCity() => new(TenantId, Slug, Name, TimeZone, Currency.Trim(), CountryCodes,
            JsonSerializer.Deserialize<List<CityPlace>>(Places, Json) ?? []);
    }
}
