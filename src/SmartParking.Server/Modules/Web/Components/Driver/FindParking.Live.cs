using System.Threading.Channels;
using Microsoft.JSInterop;
using SmartParking.Server.Modules.Availability;

namespace SmartParking.Server.Modules.Web.Components.Driver;

/// <summary>Live counts from the availability model, and the markers the map (LotMap) shows for them.</summary>
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
                await InvokeAsync(() =>
                {
                    RefreshCounts();
                    UpdateMarkers(fit: false);
                    StateHasChanged();
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

    /// <summary>One marker per result, coloured by occupancy; <paramref name="fit"/> zooms the map to them (a new search).</summary>
    private void UpdateMarkers(bool fit)
    {
        _centre = _place is null ? null : new MapCentre(_place.Latitude, _place.Longitude, _place.Name);
        _markers = _results.Select(r =>
        {
            var (free, inService) = _counts.GetValueOrDefault(r.LotId, (r.Free, r.InService));
            return new MapMarker(r.LotId, r.Name, r.Latitude, r.Longitude,
                $"{r.Name}: {free} free of {inService} ({DriverFormat.Occupancy(free, inService)})", OccupancyClass(free, inService));
        }).ToList();
        if (fit) _fitKey = Guid.NewGuid().ToString("N");
    }

    private async Task ShowOnMapAsync(Guid lotId)
    {
        if (_map is not null) await _map.FocusAsync(lotId);
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        _live?.Dispose();
        // _disposed is cancelled, never disposed: a search still running reads its Token, which a disposed source
        // answers with ObjectDisposedException. With no timer or wait handle it holds nothing that needs freeing.
    }
}
