using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;

namespace SmartParking.Server.Modules.Web;

public sealed partial class LotMap
{
    private readonly CancellationTokenSource _disposed = new();
    private ElementReference _element;
    private IJSObjectReference? _module;
    private bool _ready;
    private string? _message;
    private IReadOnlyList<MapMarker>? _drawn;
    private string? _fittedKey;

    [Parameter, EditorRequired] public IReadOnlyList<MapMarker> Markers { get; set; } = [];
    [Parameter] public MapCentre? Centre { get; set; }
    /// <summary>The map zooms to the markers when this changes (a new search), not on every live update.</summary>
    [Parameter] public string FitKey { get; set; } = "";
    /// <summary>Raised once the map has drawn (not when it is off or could not load), so a page can offer "Show on map".</summary>
    [Parameter] public EventCallback OnReady { get; set; }

    [Inject] private IOptions<WebOptions> Options { get; set; } = null!;
    [Inject] private IJSRuntime JS { get; set; } = null!;
    [Inject] private ILogger<LotMap> Logger { get; set; } = null!;

    protected override void OnInitialized() =>
        _message = string.IsNullOrWhiteSpace(Options.Value.LeafletBaseUrl) ? "The map is turned off here; the list has everything." : "Loading the map…";

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            await InitAsync();
            return;
        }
        if (_ready && (!ReferenceEquals(_drawn, Markers) || _fittedKey != FitKey)) await DrawAsync();
    }

    private async Task InitAsync()
    {
        var o = Options.Value;
        if (string.IsNullOrWhiteSpace(o.LeafletBaseUrl)) return;
        var centre = Centre ?? (Markers.Count > 0 ? new MapCentre(Markers[0].Latitude, Markers[0].Longitude, "") : new MapCentre(56.1567, 10.2108, ""));
        try
        {
            _module = await JS.InvokeAsync<IJSObjectReference>("import", _disposed.Token, "/" + Assets["js/driver-map.js"]);
            var state = await _module.InvokeAsync<string>("init", _disposed.Token, _element, new
            {
                leafletBaseUrl = o.LeafletBaseUrl,
                scriptIntegrity = o.LeafletScriptIntegrity,
                cssIntegrity = o.LeafletCssIntegrity,
                tileUrl = o.TileUrl,
                attribution = o.TileAttribution,
                latitude = centre.Latitude,
                longitude = centre.Longitude,
            });
            _ready = state == "ready";
        }
        catch (Exception e) when (e is JSException or JSDisconnectedException or TaskCanceledException)
        {
            Logger.LogDebug("The map did not load: {Error}", e.Message);
        }
        _message = _ready ? null : "The map could not be loaded (offline?). The list has everything.";
        if (_ready)
        {
            await DrawAsync();
            await OnReady.InvokeAsync();
        }
        StateHasChanged();
    }

    private async Task DrawAsync()
    {
        var fit = _fittedKey != FitKey;
        (_drawn, _fittedKey) = (Markers, FitKey);
        try
        {
            await _module!.InvokeVoidAsync("show", _disposed.Token,
                Centre is null ? null : new { latitude = Centre.Latitude, longitude = Centre.Longitude, name = Centre.Name },
                Markers.Select(m => new { id = m.Id, name = m.Name, latitude = m.Latitude, longitude = m.Longitude, label = m.Label, level = m.Level }),
                fit);
        }
        catch (Exception e) when (e is JSException or JSDisconnectedException or TaskCanceledException)
        {
            Logger.LogDebug("Drawing the map failed: {Error}", e.Message);
        }
    }

    /// <summary>Centres on one lot and opens its popup (the list's "Show on map").</summary>
    public async Task FocusAsync(Guid id)
    {
        if (!_ready || _module is null) return;
        await _module.InvokeVoidAsync("focusLot", _disposed.Token, id);
    }

    /// <summary>The browser's position, or why not (refused, unsupported).</summary>
    public async Task<GeoAnswer?> GeolocateAsync()
    {
        try
        {
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", _disposed.Token, "/" + Assets["js/driver-map.js"]);
            return await _module.InvokeAsync<GeoAnswer>("geolocate", _disposed.Token);
        }
        catch (Exception e) when (e is JSException or JSDisconnectedException or TaskCanceledException)
        {
            Logger.LogDebug("Geolocation failed: {Error}", e.Message);
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        if (_module is not null)
        {
            try { await _module.DisposeAsync(); }
            catch (JSDisconnectedException) { /* the circuit is gone, and the module with it */ }
        }
        _disposed.Dispose();
    }
}

public sealed record GeoAnswer(bool Ok, double Latitude, double Longitude, string? Error);
