using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Web.Components.Driver;

/// <summary>
/// The driver's search page: resolve a place, list nearby lots with live free counts, price a parking window, show them
/// on a Leaflet map. Prerendered from the query string, so a search works before (and without) the circuit.
/// </summary>
public sealed partial class FindParking
{
    private static readonly (string Value, string Text)[] SpaceTypes = SpaceTypeChoices.All;
    private static readonly int[] DurationChoices = SpaceTypeChoices.Hours;

    [Inject] private PlaceFinder Places { get; set; } = null!;
    [Inject] private CityGuides Cities { get; set; } = null!;
    [Inject] private DriverSearch Search { get; set; } = null!;
    [Inject] private AvailabilityModel Availability { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private IOptions<WebOptions> Options { get; set; } = null!;
    [Inject] private ILogger<FindParking> Logger { get; set; } = null!;

    [SupplyParameterFromQuery(Name = "q")] public string? QueryText { get; set; }
    [SupplyParameterFromQuery(Name = "city")] public string? QueryCity { get; set; }
    [SupplyParameterFromQuery(Name = "type")] public string? QueryType { get; set; }
    [SupplyParameterFromQuery(Name = "maxPrice")] public string? QueryMaxPrice { get; set; }
    [SupplyParameterFromQuery(Name = "start")] public string? QueryStart { get; set; }
    [SupplyParameterFromQuery(Name = "hours")] public int? QueryHours { get; set; }

    private string? Q { get; set; }
    private string City { get; set; } = "";
    private string Type { get; set; } = "";
    private decimal? MaxPrice { get; set; }
    private DateTime Start { get; set; }
    private int Hours { get; set; } = 2;

    private IReadOnlyList<City> _cities = [];
    private City? _city;
    /// <summary>The IANA zone <see cref="Start"/> is read in; see <see cref="DriverSearch.SearchZone"/>.</summary>
    private string _zone = "UTC";
    /// <summary>Whether the driver set the arrival (in the link or the field): only a default arrival follows the zone.</summary>
    private bool _startChosen;
    private Place? _place;
    private IReadOnlyList<ParkingResult> _results = [];
    private Dictionary<Guid, (int Free, int InService)> _counts = [];
    private IReadOnlyDictionary<Guid, WindowQuote> _quotes = new Dictionary<Guid, WindowQuote>();
    private volatile HashSet<Guid> _shown = [];
    private string? _message;
    private bool _interactive;
    private bool _mapReady;
    private LotMap? _map;
    private IReadOnlyList<MapMarker> _markers = [];
    private MapCentre? _centre;
    private string _fitKey = "";
    private CancellationTokenSource? _live;
    private readonly CancellationTokenSource _disposed = new();

    private string? SpaceTypeFilter => string.IsNullOrEmpty(Type) ? null : Type;

    private string ResultsHeading => _place is null ? "Results" : _results.Count == 0 ? $"No parking found near {_place.Name}" : $"{_results.Count} car parks near {_place.Name}";

    /// <summary>The arrival as an instant: <see cref="Start"/> is a wall-clock time in the search's zone.</summary>
    private DateTimeOffset StartInstant => Instants.AtLocal(DateOnly.FromDateTime(Start), Start.TimeOfDay, TimeZoneInfo.FindSystemTimeZoneById(_zone));

    /// <summary>The reserve page opens on the window and space type the driver already chose here, in the lot's own local time.</summary>
    private string ReserveLink(ParkingResult r) =>
        $"/lots/{r.LotId}/reserve?start={Uri.EscapeDataString(LocalTimes.Convert(StartInstant, r.TimeZone).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture))}&hours={Hours}"
        + (Type.Length > 0 ? $"&type={Uri.EscapeDataString(Type)}" : "");

    /// <summary>Names a few of the chosen city's places (every city's without a choice), so the hint fits the city.</summary>
    private string SearchHint
    {
        get
        {
            var places = (_city is null ? _cities.SelectMany(c => c.Places.Take(2)) : _city.Places).Take(3).ToList();
            var example = places.FirstOrDefault() is { } p ? string.Create(CultureInfo.InvariantCulture, $"{p.Latitude:0.####}, {p.Longitude:0.####}") : "51.5072, -0.1276";
            var named = places.Count > 0 ? $"A place ({string.Join(", ", places.Select(p => p.Name))}…), a car park" : "A car park";
            return $"{named}, an address, or coordinates such as {example}.";
        }
    }

    private string WindowLabel => $"{DriverFormat.Duration(TimeSpan.FromHours(Hours))} from {Start.ToString("ddd HH:mm", CultureInfo.InvariantCulture)}";

    protected override async Task OnInitializedAsync()
    {
        Q = QueryText;
        _cities = await Cities.AllAsync(_disposed.Token);
        _city = await Cities.FindAsync(QueryCity, _disposed.Token) ?? (_cities.Count == 1 ? _cities[0] : null);
        City = _city?.Slug ?? "";
        Type = SpaceTypes.Any(t => t.Value == QueryType) ? QueryType! : "";
        MaxPrice = decimal.TryParse(QueryMaxPrice, NumberStyles.Number, CultureInfo.InvariantCulture, out var max) && max >= 0 ? max : null;
        _zone = Search.SearchZone(_city, [], _cities);
        _startChosen = DateTime.TryParseExact(QueryStart, ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var start);
        Start = _startChosen ? start : DriverSearch.DefaultStart(Time.GetUtcNow(), _zone);
        Hours = QueryHours is { } h && DurationChoices.Contains(h) ? h : 2;
        if (!string.IsNullOrWhiteSpace(Q)) await SearchAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender) return;
        // Only the interactive render gets here (prerendering never calls it): from now on the controls work.
        _interactive = true;
        StartLive();
        RefreshCounts();
        StateHasChanged();
    }

    private async Task SearchAsync()
    {
        _message = null;
        if (string.IsNullOrWhiteSpace(Q))
        {
            _message = "Type a place, a car park or an address first.";
            return;
        }
        _place = await Places.FindAsync(Q, _city, _disposed.Token);
        if (_place is null)
        {
            _results = [];
            _shown = [];
            _message = $"No place called “{Q.Trim()}” was found{(_city is null ? "" : $" in {_city.Name}")}. Try a landmark, a car park, a street, or coordinates.";
            UpdateMarkers(fit: true);
            return;
        }
        await ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        if (_place is null) return;
        _results = await Search.SearchAsync(_place.Latitude, _place.Longitude, new SearchFilter(SpaceTypeFilter, MaxPrice), _disposed.Token);
        FollowZone(Search.SearchZone(_city, _results, _cities));
        _shown = _results.Select(r => r.LotId).ToHashSet();
        _counts = _results.ToDictionary(r => r.LotId, r => (r.Free, r.InService));
        await QuoteAllAsync();
        UpdateMarkers(fit: true);
    }

    /// <summary>A default arrival moves to the new zone's next quarter hour; one the driver chose keeps its wall-clock time.</summary>
    private void FollowZone(string zone)
    {
        if (zone == _zone) return;
        _zone = zone;
        if (!_startChosen) Start = DriverSearch.DefaultStart(Time.GetUtcNow(), zone);
    }

    private async Task CityChangedAsync()
    {
        _city = _cities.FirstOrDefault(c => c.Slug == City);
        FollowZone(Search.SearchZone(_city, [], _cities));
        if (_place is not null && !string.IsNullOrWhiteSpace(Q)) await SearchAsync();
    }

    private async Task StartChangedAsync()
    {
        _startChosen = true;
        await QuoteAllAsync();
    }

    private async Task QuoteAllAsync()
    {
        var window = TimeSpan.FromHours(Hours);
        // Priced together: one round trip for the whole list.
        var quotes = await Search.QuotesAsync(_results.Select(r => r.LotId).ToList(), StartInstant, window, SpaceTypeFilter, _disposed.Token);
        _quotes = quotes;
    }

    private string QuoteText(Guid lotId) =>
        !_quotes.TryGetValue(lotId, out var q) ? "—"
        : q.Open ? DriverFormat.Money(q.Amount, q.Currency)
        : $"{DriverFormat.Money(q.Amount, q.Currency)} (closed during part of this time)";

    private async Task UseMyLocationAsync()
    {
        if (_map is null) return;
        _message = "Finding your location…";
        var answer = await _map.GeolocateAsync();
        if (answer is null)
        {
            _message = "Your location is not available. Type a place instead.";
            return;
        }
        if (!answer.Ok)
        {
            _message = answer.Error ?? "Your location is not available. Type a place instead.";
            return;
        }
        Q = string.Create(CultureInfo.InvariantCulture, $"{answer.Latitude:0.#####}, {answer.Longitude:0.#####}");
        _place = new Place("your location", answer.Latitude, answer.Longitude, PlaceKind.MyLocation);
        _message = null;
        await ReloadAsync();
    }

    private static string OccupancyClass(int free, int inService) =>
        inService == 0 ? "occ-none" : free == 0 ? "occ-full" : (double)free / inService < 0.15 ? "occ-low" : "occ-ok";

    private static string OsmLink(ParkingResult r) => string.Create(CultureInfo.InvariantCulture,
        $"https://www.openstreetmap.org/?mlat={r.Latitude:0.######}&mlon={r.Longitude:0.######}#map=18/{r.Latitude:0.######}/{r.Longitude:0.######}");
}
