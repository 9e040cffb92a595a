using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Platform.Components;

namespace SmartParking.Server.Modules.Web.Components.Driver;

/// <summary>
/// Turns Web Push on and off for the browser the driver is using. The browser's side (service worker, permission,
/// subscription) runs in js/push.js; the subscription is kept on the server through the same service as the API's.
/// </summary>
public sealed partial class PushToggle : IAsyncDisposable
{
    /// <summary>What push.js answers.</summary>
    private sealed record DeviceState(string State, string? Endpoint, string? P256dh, string? Auth);

    private readonly CancellationTokenSource _disposed = new();
    private IJSObjectReference? _module;
    private Guid _driverId;
    private string _state = "checking";
    private string? _message;
    private bool _busy;

    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private IJSRuntime JS { get; set; } = null!;
    [Inject] private IWebPushDevices Devices { get; set; } = null!;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender || !Devices.IsEnabled) return;
        _driverId = (await Authentication).User.UserId();
        await RunAsync(async () =>
        {
            _module = await JS.InvokeAsync<IJSObjectReference>("import", _disposed.Token, "/" + Assets["js/push.js"]);
            // A subscription this browser already has is saved again: it may have been another driver's on this browser.
            await ApplyAsync(await _module.InvokeAsync<DeviceState>("state", _disposed.Token));
        });
    }

    private string Describe() => _state switch
    {
        "on" => "Notifications are on for this device.",
        "off" => "Notifications are off for this device.",
        "blocked" => "Notifications are blocked for this site in the browser's settings; allow them there to turn them on.",
        "unsupported" => "This browser does not support notifications.",
        _ => "Checking this device…",
    };

    private Task TurnOnAsync() => RunAsync(async () =>
    {
        var key = await Devices.PublicKeyAsync(_disposed.Token);
        await ApplyAsync(await _module!.InvokeAsync<DeviceState>("subscribe", _disposed.Token, key));
        _message = _state == "on" ? "Notifications are on: you will hear about your reservations and sessions here." : null;
    });

    private Task TurnOffAsync() => RunAsync(async () =>
    {
        if (await _module!.InvokeAsync<string?>("unsubscribe", _disposed.Token) is { } endpoint)
            await Devices.DeleteAsync(_driverId, endpoint, _disposed.Token);
        _state = "off";
        _message = "Notifications are off for this device.";
    });

    private Task SendTestAsync() => RunAsync(async () =>
    {
        var result = await Devices.SendTestAsync(_driverId, _disposed.Token);
        _message = result.Outcome is DeliveryOutcome.Sent or DeliveryOutcome.Delivered
            ? "Test notification sent."
            : "The test notification could not be sent: " + (result.Error ?? result.Outcome.ToString());
    });

    private async Task ApplyAsync(DeviceState device)
    {
        if (device.State == "on")
        {
            var outcome = await ServiceOutcome.RunAsync(() => Devices.SaveAsync(_driverId,
                new PushSubscriptionRequest(device.Endpoint, new PushSubscriptionKeys(device.P256dh, device.Auth)), _disposed.Token));
            if (outcome is not null)
            {
                _message = "This device's subscription was refused: " + outcome;
                _state = "off";
                return;
            }
        }
        _state = device.State;
    }

    /// <summary>One action at a time; a browser that refuses (no service worker, a push service error) is said on the page.</summary>
    private async Task RunAsync(Func<Task> action)
    {
        _busy = true;
        try
        {
            await action();
        }
        catch (JSException e)
        {
            _message = "This browser could not turn notifications on: " + e.Message;
            if (_state == "checking") _state = "unsupported";
        }
        catch (Exception e) when (e is JSDisconnectedException or TaskCanceledException)
        {
            return;
        }
        finally
        {
            _busy = false;
        }
        StateHasChanged();
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
