using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using SmartParking.Server.Modules.Admin.Components.Shared;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Admin.Components.Pages;

/// <summary>The dead-letter list, scoped as the API scopes it (an operator's own tenant; an admin everything).</summary>
public partial class FailedEvents
{
    private readonly FormErrors _errors = new();
    private IReadOnlyList<DeadLetter> _letters = [];
    private string? _status;
    private Guid? _asking;

    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;

    protected override async Task OnInitializedAsync() => await LoadAsync();

    private async Task LoadAsync()
    {
        var (tenant, all) = DeadLetterEndpoints.Scope((await Authentication).User, null);
        _letters = await Letters.ListAsync(tenant, all, null, DeadLetters.MaxPage, CancellationToken.None);
    }

    private async Task ReplayAsync(DeadLetter letter)
    {
        var (tenant, all) = DeadLetterEndpoints.Scope((await Authentication).User, null);
        _status = await Letters.ReplayAsync(letter.Subscriber, letter.EventId, tenant, all, CancellationToken.None)
            ? $"{letter.Type} is back in line for {letter.Subscriber}."
            : "That event is no longer in the list.";
        await LoadAsync();
    }

    private async Task DiscardAsync(DeadLetter letter)
    {
        _asking = null;
        var (tenant, all) = DeadLetterEndpoints.Scope((await Authentication).User, null);
        _status = await Letters.DiscardAsync(letter.Subscriber, letter.EventId, tenant, all, CancellationToken.None)
            ? $"{letter.Type} discarded for {letter.Subscriber}."
            : "That event is no longer in the list.";
        await LoadAsync();
    }
}
