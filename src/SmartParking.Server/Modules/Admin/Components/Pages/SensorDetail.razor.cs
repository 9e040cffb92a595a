using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Admin.Components.Shared;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Web;
using SmartParking.Server.Platform.Components;

namespace SmartParking.Server.Modules.Admin.Components.Pages;

/// <summary>One sensor's facts and what it reported, as a table and as a step line of occupied (1) and free (0).</summary>
public partial class SensorDetail
{
    private const int Limit = 2000;
    private Sensor? _sensor;
    private string? _lotName, _error;
    private string _window = "24h";
    private IReadOnlyList<SensorReading> _readings = [];
    private IReadOnlyList<ChartPoint> _points = [];

    [Parameter] public Guid Id { get; set; }
    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private SensorService Sensors { get; set; } = null!;
    [Inject] private LotCatalog LotCatalog { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private IOptions<WebOptions> Options { get; set; } = null!;

    protected override async Task OnParametersSetAsync()
    {
        var user = (await Authentication).User;
        _error = await ServiceOutcome.RunAsync(async () => _sensor = await Sensors.GetAsync(user, Id, CancellationToken.None));
        if (_sensor?.LotId is { } lotId) _lotName = (await LotCatalog.FindAsync(lotId, CancellationToken.None))?.Name;
        if (_error is null) await LoadReadingsAsync();
    }


    private async Task ChangeWindowAsync(string? window)
    {
        _window = window is "7d" or "31d" ? window : "24h";
        await LoadReadingsAsync();
    }

    private async Task LoadReadingsAsync()
    {
        var user = (await Authentication).User;
        var now = Time.GetUtcNow();
        var from = now - _window switch { "7d" => TimeSpan.FromDays(7), "31d" => SensorService.MaxReadingsWindow, _ => TimeSpan.FromDays(1) };
        // A reading observed a moment in the future (a sensor's clock ahead) still shows.
        _error = await ServiceOutcome.RunAsync(async () => _readings = await Sensors.ReadingsAsync(user, Id, from, now.AddMinutes(5), Limit, CancellationToken.None));
        // Oldest first for the chart; unknown or closed readings are gaps, not "free".
        _points = _readings.Reverse().Select(r => new ChartPoint(r.ObservedAt, r.Status switch { "occupied" => 1, "free" => 0, _ => (double?)null })).ToList();
        if (_sensor is not null)
            _sensor = await Sensors.GetAsync(user, Id, CancellationToken.None);
    }

    private string When(DateTimeOffset? at)
    {
        if (at is not { } value) return "Never";
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Options.Value.DefaultTimeZone);
        return TimeZoneInfo.ConvertTime(value, zone).ToString("d MMM yyyy HH:mm:ss", CultureInfo.InvariantCulture);
    }
}
