using System.Threading.Channels;
using Microsoft.JSInterop;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Web.Search;

namespace SmartParking.Server.Modules.Web.Components.Driver;

/// <summary>Live counts from the availability model, and the Leaflet map (JS module wwwroot/js/driver-map.js).</summary>
public sealed partial class FindParking
{
    /// <summary>Subscribes to availability changes for as long as the circuit shows the page.</summary>
    private void StartLive()
    {
        _live = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
        var changes = Availability.Subscribe(_live.Token);
        _ = PumpAsync(changes, _live.Token);
    }

    /// <summary>
    /// Draws at most one update per interval: a busy city changes many spaces a second, and a render per change would
    /// flood the circuit. Changes arriving while it waits are drained together in the next round.
    /// </summary>
    private async Task PumpAsync(ChannelReader<AvailabilityChange> changes, CancellationToken ct)
    {
        var interval = TimeSpan.FromMilliseconds(Options.Value.LiveRenderIntervalMs);
        try
        {
            while (await changes.WaitToReadAsync(ct))
            {
                var shown = _shown;
                var relevant = false;
                while (changes.TryRead(out var change)) relevant |= shown.Contains(change.LotId);
                if (!relevant) continue;
                await InvokeAsync(async () =>
                {
                    RefreshCounts();
                    StateHasChanged();
                    await DrawMapAsync(fit: false);
                });
                await Task.Delay(interval, Time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page closed.
        }
        catch (Exception e) when (e is JSDisconnectedException or ObjectDisposedException)
        {
            Logger.LogDebug("Live updates stopped: {Error}", e.Message);
        }
    }

    /// <summary>The shown lots' counts as the model has them now (the filtered type's, with a type filter).</summary>
    private void RefreshCounts()
    {
        var counts = new Dictionary<Guid, (int Free, int InService)>(_counts);
        foreach (var r in _results)
            if (Search.CountsNow(r.LotId, SpaceTypeFilter) is { } now) counts[r.LotId] = now;
        _counts = counts;
    }

    private async Task<bool> ImportModuleAsync()
    {
        if (_map is not null) return true;
        try
        {
            _map = await JS.InvokeAsync<IJSObjectReference>("import", _disposed.Token, "/" + Assets["js/driver-map.js"]);
            return true;
        }
        catch (Exception e) when (e is JSException or JSDisconnectedException or TaskCanceledException)
        {
            Logger.LogDebug("The map module did not load: {Error}", e.Message);
            return false;
        }
    }

    private async Task InitMapAsync()
    {
        var o = Options.Value;
        if (string.IsNullOrWhiteSpace(o.LeafletBaseUrl) || !await ImportModuleAsync()) return;
        var centre = _place ?? new Place("", 56.1567, 10.2108, PlaceKind.Landmark);
        var state = await _map!.InvokeAsync<string>("init", _disposed.Token, _mapElement, new
        {
            leafletBaseUrl = o.LeafletBaseUrl,
            scriptIntegrity = o.LeafletScriptIntegrity,
            cssIntegrity = o.LeafletCssIntegrity,
            tileUrl = o.TileUrl,
            attribution = o.TileAttribution,
            latitude = centre.Latitude,
            longitude = centre.Longitude,
        });
        _mapReady = state == "ready";
        _mapMessage = _mapReady ? null : "The map could not be loaded (offline?). The list has every result.";
        if (_mapReady) await DrawMapAsync(fit: true);
        StateHasChanged();
    }

    /// <summary>One marker per result, coloured by occupancy; <paramref name="fit"/> zooms to them (a new search).</summary>
    private async Task DrawMapAsync(bool fit)
    {
        if (!_mapReady || _map is null) return;
        var markers = _results.Select(r =>
        {
            var (free, inService) = _counts.GetValueOrDefault(r.LotId, (r.Free, r.InService));
            return new
            {
                id = r.LotId,
                name = r.Name,
                latitude = r.Latitude,
                longitude = r.Longitude,
                free,
                label = $"{r.Name}: {free} free of {inService} ({DriverFormat.Occupancy(free, inService)})",
                level = OccupancyClass(free, inService),
            };
        }).ToList();
        try
        {
            await _map.InvokeVoidAsync("show", _disposed.Token, _place is null ? null : new { latitude = _place.Latitude, longitude = _place.Longitude, name = _place.Name }, markers, fit);
        }
        catch (Exception e) when (e is JSException or JSDisconnectedException or TaskCanceledException)
        {
            Logger.LogDebug("Drawing the map failed: {Error}", e.Message);
        }
    }

    private async Task ShowOnMapAsync(Guid lotId)
    {
        if (_map is null) return;
        await _map.InvokeVoidAsync("focusLot", _disposed.Token, lotId);
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        _live?.Dispose();
        if (_map is not null)
        {
            try { await _map.DisposeAsync(); }
            catch (JSDisconnectedException) { /* the circuit is already gone; nothing to release on the client */ }
        }
        _disposed.Dispose();
    }
}
