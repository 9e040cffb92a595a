using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Admin.Components.Shared;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Web;

namespace SmartParking.Server.Modules.Admin.Components.Pages;

/// <summary>Lists, creates and deletes pricing events through <see cref="Pricing.PricingEvents"/>, as the API does.</summary>
public partial class PricingEventList
{
    private readonly FormErrors _errors = new();
    private EventForm _form = new();
    private IReadOnlyList<PricingService.EventRow> _events = [];
    private bool _currentOnly = true;
    private string? _status;
    private Guid? _asking;

    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private IOptions<WebOptions> Options { get; set; } = null!;

    private TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(Options.Value.DefaultTimeZone);
    private string ZoneName => Options.Value.DefaultTimeZone;

    protected override async Task OnInitializedAsync() => await LoadAsync();


    private async Task LoadAsync() => _events = await Events.ListAsync((await Authentication).User, _currentOnly, CancellationToken.None);

    private async Task ShowAsync(bool currentOnly)
    {
        _currentOnly = currentOnly;
        await LoadAsync();
    }

    private string Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone).ToString("ddd d MMM yyyy HH:mm", CultureInfo.InvariantCulture);

    private async Task CreateAsync()
    {
        _status = null;
        var parse = new Dictionary<string, string[]>();
        var request = _form.ToRequest(Zone, parse);
        if (_errors.Found(parse)) return;
        var user = (await Authentication).User;
        PricingService.EventRow? created = null;
        if (!await _errors.RunAsync(async () => created = await Events.CreateAsync(user, request, null, CancellationToken.None))) return;
        _status = $"Event {created!.Name} created.";
        _form = new EventForm();
        await LoadAsync();
    }

    private async Task DeleteAsync(PricingService.EventRow e)
    {
        var user = (await Authentication).User;
        _asking = null;
        if (await _errors.RunAsync(() => Events.DeleteAsync(user, e.Id, CancellationToken.None))) _status = $"Event {e.Name} deleted.";
        await LoadAsync();
    }

    /// <summary>The form as typed; times are local to the dashboard's zone, numbers use a decimal point.</summary>
    private sealed class EventForm
    {
        public string? Name { get; set; }
        public string? StartsAt { get; set; }
        public string? EndsAt { get; set; }
        public string? Multiplier { get; set; } = "1.5";
        public string? Latitude { get; set; } = "56.1567";
        public string? Longitude { get; set; } = "10.2108";
        public string? Radius { get; set; } = "800";

        public PricingEventRequest ToRequest(TimeZoneInfo zone, Dictionary<string, string[]> errors)
        {
            var input = new FormInput(errors);
            return new PricingEventRequest(Name?.Trim(), input.Time(StartsAt, zone, "startsAt"), input.Time(EndsAt, zone, "endsAt"), input.Number(Multiplier, "multiplier"),
                (double?)input.Number(Latitude, "latitude"), (double?)input.Number(Longitude, "longitude"), (double?)input.Number(Radius, "radiusMeters"));
        }
    }
}
