using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using SmartParking.Server.Modules.Admin.Components.Shared;
using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Admin.Components.Pages;

/// <summary>Creates a lot, or edits one with its spaces (add, out of service) and live counts; deletes after a confirm step.</summary>
public partial class LotEdit
{
    private readonly LotForm _form = new();
    private readonly FormErrors _errors = new();
    private readonly FormErrors _spaceErrors = new();
    private SpaceForm _space = new();
    private readonly List<HoursForm> _hours = [];
    private Counts? _counts;
    private string _savedName = "";
    private string? _status;
    private bool _busy, _notFound, _confirmDelete;
    private int _spacesVersion;
    private LotForecastChart? _forecast;
    private IReadOnlyList<ChartPoint> _actual = [];
    private IReadOnlyList<ChartBandPoint> _forecastPoints = [];
    private TimeZoneInfo _zone = TimeZoneInfo.Utc;

    [Parameter] public Guid? Id { get; set; }
    [SupplyParameterFromQuery(Name = "created")] public bool Created { get; set; }
    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private LotService Lots { get; set; } = null!;
    [Inject] private SpaceService Spaces { get; set; } = null!;
    [Inject] private IDataTable<SpaceView> SpacesTable { get; set; } = null!;
    [Inject] private AvailabilityModel Availability { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private OccupancyForecasts Forecasts { get; set; } = null!;

    private bool IsNew => Id is null;
    private IReadOnlyDictionary<string, string?> SpaceFilters => new Dictionary<string, string?> { ["lotId"] = Id?.ToString() };

    protected override async Task OnParametersSetAsync()
    {
        if (Id is not { } id) return;
        var user = (await Authentication).User;
        try
        {
            var lot = await Lots.GetAsync(user, id, CancellationToken.None);
            _form.Load(lot);
            _savedName = lot.Name;
            _hours.Clear();
            _hours.AddRange(lot.OpeningHours.Select(h => new HoursForm { Day = h.Day, Opens = h.Opens, Closes = h.Closes }));
            _counts = Availability.Lot(id)?.Counts;
            _zone = TimeZoneInfo.FindSystemTimeZoneById(lot.TimeZone);
            _forecast = await Forecasts.ChartAsync(user, id, days: 7, CancellationToken.None);
            _actual = _forecast.Actual.Select(h => new ChartPoint(h.Hour, h.Occupancy)).ToList();
            _forecastPoints = _forecast.Forecast.Points.Select(p => new ChartBandPoint(p.Hour, p.Occupancy, p.Low, p.High)).ToList();
            if (Created) _status = $"Lot {lot.Name} created. Add its spaces below or import them.";
        }
        catch (NotFoundException)
        {
            _notFound = true;
        }
    }


    private DateTimeOffset LocalTime(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, _zone);

    private static string ForecastText(LotOccupancyForecast forecast) => forecast.Method switch
    {
        ForecastMethods.Model => string.Create(CultureInfo.InvariantCulture,
            $"Forecast by model version {forecast.ModelVersion}, trained {forecast.TrainedAt:d MMM yyyy}{(forecast.BacktestMae is { } mae ? $", typically off by {mae:P0} (last week's backtest)" : "")}. The shaded band is where occupancy will likely be (10th–90th percentile)."),
        ForecastMethods.MedianProfile => $"Forecast from the lot's own recent weeks (median of the same hour): {forecast.Note}. The shaded band spans the weeks' lowest to highest.",
        _ => $"No forecast: {forecast.Note}.",
    };

    // A new row follows the last one's day with its hours, so a week is typed by adding six rows and changing the day.
    private void AddHours()
    {
        var last = _hours.LastOrDefault();
        var nextDay = last is null ? "mon" : LotsVocabulary.Days[(Array.IndexOf(LotsVocabulary.Days, last.Day) + 1) % LotsVocabulary.Days.Length];
        _hours.Add(new HoursForm { Day = nextDay, Opens = last?.Opens ?? "07:00", Closes = last?.Closes ?? "22:00" });
    }

    private static string DayName(string day) => day switch
    {
        "mon" => "Monday", "tue" => "Tuesday", "wed" => "Wednesday", "thu" => "Thursday",
        "fri" => "Friday", "sat" => "Saturday", "sun" => "Sunday", _ => day,
    };

    private void Toggle(string amenity, bool on)
    {
        if (on) _form.Amenities.Add(amenity); else _form.Amenities.Remove(amenity);
    }

    private async Task SaveAsync()
    {
        _status = null;
        if (_errors.Found(_form.ParseErrors())) return;
        _busy = true;
        var user = (await Authentication).User;
        LotResponse? saved = null;
        var request = _form.ToRequest(_hours.Select(h => new OpeningHours(h.Day, h.Opens?.Trim() ?? "", h.Closes?.Trim() ?? "")).ToList());
        var ok = await _errors.RunAsync(async () => saved = Id is { } id
            ? await Lots.UpdateAsync(user, id, request, CancellationToken.None)
            : await Lots.CreateAsync(user, request, CancellationToken.None));
        _busy = false;
        if (!ok || saved is null) return;
        if (IsNew)
        {
            Navigation.NavigateTo($"/admin/lots/{saved.Id}?created=true");
            return;
        }
        (_savedName, _status) = (saved.Name, "Changes saved.");
    }

    private async Task AddSpaceAsync()
    {
        var user = (await Authentication).User;
        var request = new SpaceRequest(_space.Label, _space.Type, string.IsNullOrWhiteSpace(_space.Level) ? null : _space.Level.Trim(), null, null, null, null, null);
        if (!await _spaceErrors.RunAsync(() => Spaces.CreateAsync(user, Id!.Value, request, CancellationToken.None))) return;
        _status = $"Space {request.Label!.Trim()} added.";
        _space = new SpaceForm { Type = _space.Type, Level = _space.Level };
        _spacesVersion++;
    }

    private async Task SetOutOfServiceAsync(SpaceView space, bool outOfService)
    {
        var user = (await Authentication).User;
        if (!await _spaceErrors.RunAsync(() => Spaces.SetOutOfServiceAsync(user, space.Id, outOfService, CancellationToken.None))) return;
        _status = outOfService ? $"Space {space.Label} is out of service." : $"Space {space.Label} is back in service.";
        _counts = Availability.Lot(Id!.Value)?.Counts;
        _spacesVersion++;
    }

    private async Task DeleteAsync()
    {
        var user = (await Authentication).User;
        if (await _errors.RunAsync(() => Lots.DeleteAsync(user, Id!.Value, CancellationToken.None)))
            Navigation.NavigateTo("/admin/lots");
        _confirmDelete = false;
    }

    private sealed class HoursForm
    {
        public string Day { get; set; } = "mon";
        public string? Opens { get; set; }
        public string? Closes { get; set; }
    }

    private sealed class SpaceForm
    {
        public string? Label { get; set; }
        public string Type { get; set; } = "standard";
        public string? Level { get; set; }
    }

    /// <summary>The lot's fields as typed; numbers are parsed on save so a bad one is named like any other field error.</summary>
    private sealed class LotForm
    {
        public string? Name { get; set; }
        public string Kind { get; set; } = "off_street";
        public string? Street { get; set; }
        public string? City { get; set; }
        public string? PostalCode { get; set; }
        public string? Country { get; set; }
        public string? Latitude { get; set; }
        public string? Longitude { get; set; }
        public string? TimeZone { get; set; } = "Europe/Copenhagen";
        public string? BaseHourlyRate { get; set; }
        public string? Currency { get; set; } = "DKK";
        public string? ExternalId { get; set; }
        public Dictionary<string, string?> Capacity { get; } = [];
        public HashSet<string> Amenities { get; } = [];

        public void Load(LotResponse lot)
        {
            (Name, Kind, Street, City, PostalCode, Country) = (lot.Name, lot.Kind, lot.Address.Street, lot.Address.City, lot.Address.PostalCode, lot.Address.Country);
            Latitude = lot.Latitude.ToString(CultureInfo.InvariantCulture);
            Longitude = lot.Longitude.ToString(CultureInfo.InvariantCulture);
            (TimeZone, Currency, ExternalId) = (lot.TimeZone, lot.Currency, lot.ExternalId);
            BaseHourlyRate = lot.BaseHourlyRate.ToString(CultureInfo.InvariantCulture);
            Capacity.Clear();
            foreach (var (type, count) in lot.Capacity) Capacity[type] = count.ToString(CultureInfo.InvariantCulture);
            Amenities.Clear();
            Amenities.UnionWith(lot.Amenities);
        }

        public Dictionary<string, string[]> ParseErrors()
        {
            var errors = new Dictionary<string, string[]>();
            void Number(string? text, string field, bool integer = false)
            {
                if (string.IsNullOrWhiteSpace(text)) return;
                var ok = integer ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) : decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
                if (!ok) errors[field] = [integer ? "must be a whole number." : "must be a number such as 56.15 (a point before the decimals)."];
            }
            Number(Latitude, "latitude");
            Number(Longitude, "longitude");
            Number(BaseHourlyRate, "baseHourlyRate");
            foreach (var (type, count) in Capacity) Number(count, $"capacity.{type}", integer: true);
            return errors;
        }

        public LotRequest ToRequest(IReadOnlyList<OpeningHours> hours)
        {
            static string? Trim(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
            static double? Double(string? s) => string.IsNullOrWhiteSpace(s) ? null : double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
            var capacity = Capacity.Where(c => !string.IsNullOrWhiteSpace(c.Value)).ToDictionary(c => c.Key, c => int.Parse(c.Value!, CultureInfo.InvariantCulture));
            return new LotRequest(null, Trim(Name), Kind, new AddressDto(Trim(Street), Trim(City), Trim(PostalCode), Trim(Country)), Double(Latitude), Double(Longitude),
                Trim(TimeZone), hours, Amenities.ToList(), capacity,
                string.IsNullOrWhiteSpace(BaseHourlyRate) ? null : decimal.Parse(BaseHourlyRate, NumberStyles.Float, CultureInfo.InvariantCulture),
                Trim(Currency)?.ToUpperInvariant(), Trim(ExternalId));
        }
    }
}
