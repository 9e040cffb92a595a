using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Web;

/// <summary>What the driver filters by: a space type (null for any) and a highest price per hour now.</summary>
public sealed record SearchFilter(string? SpaceType = null, decimal? MaxPricePerHour = null);

/// <summary>
/// One lot of the result list; <see cref="Free"/> and <see cref="InService"/> (spaces in service that report) change
/// live. <see cref="Spaces"/>: its spaces in service, reporting or not (what an occupancy forecast is a share of).
/// </summary>
public sealed record ParkingResult(
    Guid LotId, string Name, string Address, double Latitude, double Longitude, double DistanceMeters,
    int Free, int InService, int Spaces, decimal PricePerHour, string Currency, string TimeZone, string OpeningHours, bool Ev, bool Accessible,
    IReadOnlyList<ZoneRuleGroup> ParkingRules);

/// <summary>A price for the driver's chosen window at one lot.</summary>
public sealed record WindowQuote(Guid LotId, decimal Amount, string Currency, bool Open);

/// <summary>
/// The driver search page's data: live availability (the in-memory model), lot details (the lot catalogue) and quotes
/// (pricing), joined here so the page never reads another module's tables.
/// </summary>
public sealed class DriverSearch(AvailabilityModel availability, LotCatalog lots, PricingService pricing, IOptions<WebOptions> options)
{
    private readonly WebOptions _options = options.Value;

    /// <param name="limit">At most this many lots, nearest first (the configured page size when null).</param>
    public async Task<IReadOnlyList<ParkingResult>> SearchAsync(double latitude, double longitude, SearchFilter filter, CancellationToken ct, int? limit = null)
    {
        var wanted = Math.Min(limit ?? _options.MaxResults, _options.MaxResults);
        // Over-asked only under a price filter, so it still leaves a full page where it can.
        var nearby = availability.NearbyLots(latitude, longitude, _options.SearchRadiusMeters, filter.SpaceType, filter.MaxPricePerHour is null ? wanted : wanted * 4)
            .Where(l => filter.MaxPricePerHour is not { } max || l.PricePerHour <= max)
            .Take(wanted)
            .ToList();
        var details = (await lots.PublicLotsAsync(nearby.Select(l => l.LotId).ToList(), ct)).ToDictionary(l => l.Id);
        var results = new List<ParkingResult>(nearby.Count);
        foreach (var lot in nearby)
        {
            // A lot deleted between the two reads drops out rather than showing without an address.
            if (!details.TryGetValue(lot.LotId, out var d)) continue;
            var address = string.Join(", ", new[] { d.Address.Street, d.Address.City }.Where(s => !string.IsNullOrWhiteSpace(s)));
            results.Add(new ParkingResult(lot.LotId, lot.Name, address, lot.Latitude, lot.Longitude, lot.DistanceMeters ?? 0,
                lot.Counts.Free, Reporting(lot.Counts), lot.Counts.Total - lot.Counts.OutOfService, lot.PricePerHour, lot.Currency, d.TimeZone,
                DriverFormat.OpeningHours(d.OpeningHours),
                Ev: d.Amenities.Contains("ev_charging") || d.Capacity.GetValueOrDefault("ev") > 0,
                Accessible: d.Amenities.Contains("accessible") || d.Capacity.GetValueOrDefault("accessible") > 0, d.ParkingRules));
        }
        return results.OrderBy(r => r.DistanceMeters).ToList();
    }

    /// <summary>Spaces in service whose sensor has reported: a silent one is neither free nor taken, so it is not counted as full.</summary>
    private static int Reporting(Counts c) => c.Total - c.OutOfService - c.Unknown;

    /// <summary>The lot's counts now (of one space type with a filter), for live updates; null once the lot is gone.</summary>
    public (int Free, int InService)? CountsNow(Guid lotId, string? spaceType)
    {
        if (availability.Lot(lotId) is not { } lot) return null;
        var counts = spaceType is null ? lot.Counts : lot.ByType?.GetValueOrDefault(spaceType) ?? Counts.Empty;
        return (counts.Free, Reporting(counts));
    }

    /// <summary>The price of parking from an instant for a duration, as Pricing quotes it; null for a lot that no longer exists.</summary>
    public async Task<WindowQuote?> QuoteAsync(Guid lotId, DateTimeOffset start, TimeSpan duration, string? spaceType, CancellationToken ct) =>
        (await QuotesAsync([lotId], start, duration, spaceType, ct)).GetValueOrDefault(lotId);

    /// <summary>The same stay priced at each lot, in one round trip; lots that no longer exist are left out.</summary>
    public async Task<IReadOnlyDictionary<Guid, WindowQuote>> QuotesAsync(IReadOnlyList<Guid> lotIds, DateTimeOffset start, TimeSpan duration, string? spaceType, CancellationToken ct)
    {
        var facts = new List<LotFacts>(lotIds.Count);
        foreach (var id in lotIds.Distinct())
            if (await lots.FindAsync(id, ct) is { } lot) facts.Add(lot);
        // PostgreSQL takes instants in UTC only; a caller may hold a local time with its offset.
        start = start.ToUniversalTime();
        var end = start + duration;
        var quotes = await pricing.QuotesAsync(facts, start, end, new PriceScope(SpaceType: spaceType), ct);
        return facts.Zip(quotes).ToDictionary(x => x.First.Id, x => new WindowQuote(x.First.Id, x.Second.Amount, x.Second.Currency, x.First.IsOpenThroughout(start, end)));
    }

    /// <summary>
    /// The zone a search's arrival time is typed in: the chosen city's, else the nearest result's, else the only city's,
    /// else Web:DefaultTimeZone (a platform with no lots yet).
    /// </summary>
    public string SearchZone(City? chosen, IReadOnlyList<ParkingResult> results, IReadOnlyList<City> cities) =>
        chosen?.TimeZone ?? results.FirstOrDefault()?.TimeZone ?? (cities.Count == 1 ? cities[0].TimeZone : _options.DefaultTimeZone);

    /// <summary>The default window start: the next quarter hour in the zone, as a wall-clock time there.</summary>
    public static DateTime DefaultStart(DateTimeOffset now, string timeZone)
    {
        var local = LocalTimes.Convert(now, timeZone);
        var quarter = TimeSpan.FromMinutes(15).Ticks;
        return new DateTime((local.Ticks + quarter - 1) / quarter * quarter, DateTimeKind.Unspecified);
    }
}
