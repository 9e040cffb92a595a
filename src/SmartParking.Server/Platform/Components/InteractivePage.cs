using Microsoft.AspNetCore.Components;

namespace SmartParking.Server.Platform.Components;

/// <summary>
/// A page prerendered on the server and then made interactive over its circuit. Until the circuit is up, clicks do
/// nothing, so the page disables its controls until <see cref="Interactive"/>; it also renders
/// data-interactive="true", which the browser tests wait for.
/// </summary>
public abstract class InteractivePage : ComponentBase
{
    protected bool Interactive { get; private set; }

    /// <summary>Only the interactive render gets here (prerendering never calls it).</summary>
    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        Interactive = true;
        StateHasChanged();
    }
}
