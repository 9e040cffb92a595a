using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Components;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Web.Components.Driver;

/// <summary>A driver's reservations and meter sessions, with what can still be done to each (pay, extend, cancel, stop, receipt).</summary>
public partial class MyParking
{
    private static readonly Paging Recent = new(1, 20);

    private IReadOnlyList<ReservationResponse> _reservations = [];
    private IReadOnlyList<SessionResponse> _sessions = [];
    private readonly Dictionary<Guid, LotFacts?> _lots = [];
    private string? _message;
    private Guid _driverId;

    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private ReservationQueries ReservationList { get; set; } = null!;
    [Inject] private ReservationService Reservations { get; set; } = null!;
    [Inject] private SessionService Sessions { get; set; } = null!;
    [Inject] private LotCatalog Lots { get; set; } = null!;

    protected override async Task OnInitializedAsync()
    {
        _driverId = (await Authentication).User.UserId();
        await LoadAsync();
    }


    private async Task LoadAsync()
    {
        _reservations = (await ReservationList.ListOwnAsync(_driverId, null, Recent, CancellationToken.None)).Items;
        _sessions = (await Sessions.ListOwnAsync(_driverId, null, Recent, CancellationToken.None)).Items;
        foreach (var lotId in _reservations.Select(r => r.LotId).Concat(_sessions.Select(s => s.LotId)).Distinct().Where(id => !_lots.ContainsKey(id)))
            _lots[lotId] = await Lots.FindAsync(lotId, CancellationToken.None);
    }

    private string LotName(Guid lotId) => _lots.GetValueOrDefault(lotId)?.Name ?? "Car park";

    /// <summary>Times in the car park's own zone, where the driver will be, with the zone named.</summary>
    private string Window(Guid lotId, DateTimeOffset start, DateTimeOffset end) =>
        LocalTimes.Range(start, end, _lots.GetValueOrDefault(lotId)?.TimeZone ?? "UTC");

    private static string Words(string status) => status.Replace('_', ' ');

    private Task PayAsync(Guid id) => ActAsync(() => Reservations.PayAsync(_driverId, id, CancellationToken.None), "Paid: the reservation is confirmed.");
    private Task ExtendReservationAsync(Guid id, DateTimeOffset end) =>
        ActAsync(() => Reservations.ExtendAsync(_driverId, id, new ExtensionRequest(end.AddHours(1)), CancellationToken.None), "Extended by an hour.");
    private Task CancelAsync(Guid id) => ActAsync(() => Reservations.CancelAsync(_driverId, id, CancellationToken.None), "Cancelled.");
    private Task ExtendSessionAsync(Guid id) =>
        ActAsync(() => Sessions.ExtendAsync(_driverId, id, new ExtendSessionRequest(30), CancellationToken.None), "Added 30 minutes.");
    private Task StopAsync(Guid id) => ActAsync(() => Sessions.StopAsync(_driverId, id, CancellationToken.None), "Stopped: you pay only for the minutes used.");

    private async Task ActAsync<T>(Func<Task<T>> action, string done)
    {
        var outcome = await ServiceOutcome.RunAsync(action);
        _message = outcome ?? done;
        await LoadAsync();
    }
}
