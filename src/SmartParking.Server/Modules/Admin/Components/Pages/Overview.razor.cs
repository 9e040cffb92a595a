using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Admin.Components.Shared;
using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Web;
using SmartParking.Server.Platform.Components;

namespace SmartParking.Server.Modules.Admin.Components.Pages;

/// <summary>The operator's tenant now: occupancy per lot, alerts, a map, and the last days' trends; live without reload.</summary>
public partial class Overview
{
    private readonly CancellationTokenSource _disposed = new();
    private Analytics.Overview? _overview;
    private IReadOnlyList<ChartPoint> _occupancy = [], _revenue = [];
    private IReadOnlyList<MapMarker> _markers = [];
    private string _revenueCurrency = "";
    private ClaimsPrincipal _user = new();
    private string? _message;
    private bool _failed;

    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private OverviewService OverviewService { get; set; } = null!;
    [Inject] private ReportService Reports { get; set; } = null!;
    [Inject] private AvailabilityModel Availability { get; set; } = null!;
    [Inject] private IOperatorAlerts OperatorAlerts { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private IOptions<WebOptions> Options { get; set; } = null!;
    [Inject] private ILogger<Overview> Logger { get; set; } = null!;

    private TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(Options.Value.DefaultTimeZone);
    private DateTimeOffset Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone);
    private string RevenueTitle => $"Net revenue per day, last 30 days{(_revenueCurrency.Length > 0 ? $" ({_revenueCurrency})" : "")}";

    private string SummaryLink
    {
        get
        {
            var now = Time.GetUtcNow();
            return $"/admin/reports/summary.pdf?from={Uri.EscapeDataString(now.AddDays(-30).ToString("O", CultureInfo.InvariantCulture))}&to={Uri.EscapeDataString(now.ToString("O", CultureInfo.InvariantCulture))}";
        }
    }

    private double? TenantOccupancy
    {
        get
        {
            var lots = _overview?.Lots ?? [];
            var inService = lots.Sum(l => l.Counts.Free + l.Counts.Occupied + l.Counts.Reserved);
            return inService == 0 ? null : (double)lots.Sum(l => l.Counts.Occupied + l.Counts.Reserved) / inService;
        }
    }

    private static string OccupancyText(double? occupancy) => occupancy is { } o ? o.ToString("P0", CultureInfo.InvariantCulture) : "no data";

    protected override async Task OnInitializedAsync()
    {
        _user = (await Authentication).User;
        await LoadNowAsync();
        var now = Time.GetUtcNow();
        var occupancy = await Reports.OccupancyAsync(_user, null, now.AddDays(-7), now, _disposed.Token);
        _occupancy = occupancy.Points.Select(p => new ChartPoint(p.Hour, p.Occupancy)).ToList();
        var revenue = await Reports.RevenueAsync(_user, now.AddDays(-30), now, _disposed.Token);
        // One currency per chart: the tenant's main one (the most revenue); others are in the PDF summary.
        _revenueCurrency = revenue.Totals.OrderByDescending(t => t.Net).FirstOrDefault()?.Currency ?? "";
        var byDay = revenue.Days.Where(d => d.Currency == _revenueCurrency).ToDictionary(d => d.Day, d => (double)d.Net);
        var first = DateOnly.FromDateTime(now.AddDays(-30).UtcDateTime);
        _revenue = Enumerable.Range(0, 31).Select(i => first.AddDays(i))
            .Select(day => new ChartPoint(new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), byDay.GetValueOrDefault(day)))
            .ToList();
    }

    private async Task LoadNowAsync()
    {
        _overview = await OverviewService.GetAsync(_user, _disposed.Token);
        _markers = _overview.Lots
            .Select(l => Availability.Lot(l.LotId) is { } a
                ? new MapMarker(l.LotId, l.Name, a.Latitude, a.Longitude, $"{l.Name}: {OccupancyText(l.Occupancy)} full, {l.Counts.Free} free", OccupancyLevel(l.Occupancy))
                : null)
            .OfType<MapMarker>()
            .ToList();
    }

    private static string OccupancyLevel(double? occupancy) => occupancy switch
    {
        null => "occ-none",
        >= 0.95 => "occ-full",
        >= 0.85 => "occ-low",
        _ => "occ-ok",
    };

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            _ = LiveAsync(_disposed.Token);
            _ = LiveAlertsAsync(_disposed.Token);
        }
        base.OnAfterRender(firstRender);
    }

    /// <summary>Redraws after availability changes in this tenant's lots, at most twice a second.</summary>
    private async Task LiveAsync(CancellationToken ct)
    {
        var changes = Availability.Subscribe(ct);
        try
        {
            while (await changes.WaitToReadAsync(ct))
            {
                var mine = _overview?.Lots.Select(l => l.LotId).ToHashSet() ?? [];
                var relevant = false;
                while (changes.TryRead(out var change)) relevant |= mine.Contains(change.LotId);
                if (!relevant) continue;
                await InvokeAsync(async () =>
                {
                    await LoadNowAsync();
                    StateHasChanged();
                });
                await Task.Delay(TimeSpan.FromMilliseconds(Options.Value.LiveRenderIntervalMs), Time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page closed.
        }
        catch (ObjectDisposedException e)
        {
            Logger.LogDebug("Live overview stopped: {Error}", e.Message);
        }
    }

    /// <summary>Redraws when an alert of this tenant (an admin: any) is raised or changes, on any node.</summary>
    private async Task LiveAlertsAsync(CancellationToken ct)
    {
        var scope = _user.TenantScope();
        var changes = OperatorAlerts.Subscribe(ct);
        try
        {
            while (await changes.WaitToReadAsync(ct))
            {
                var relevant = false;
                while (changes.TryRead(out var tenant)) relevant |= scope is null || tenant == scope;
                if (!relevant) continue;
                await InvokeAsync(async () =>
                {
                    await LoadNowAsync();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page closed.
        }
    }

    private async Task AcknowledgeAsync(AlertView alert)
    {
        var error = await ServiceOutcome.RunAsync(() => OperatorAlerts.AcknowledgeAsync(_user, alert.Id, _disposed.Token));
        (_message, _failed) = (error ?? $"Acknowledged: {alert.Title}.", error is not null);
        await LoadNowAsync();
    }

    private async Task ResolveAsync(AlertView alert)
    {
        var error = await ServiceOutcome.RunAsync(() => OperatorAlerts.ResolveAsync(_user, alert.Id, null, _disposed.Token));
        (_message, _failed) = (error ?? $"Resolved: {alert.Title}.", error is not null);
        await LoadNowAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        _disposed.Dispose();
    }
}
