using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Platform.Components;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Web.Components.Driver;

/// <summary>
/// Reserve and pay: the quote is shown before anything is held; holding a space locks that price for the hold's few
/// minutes, and paying confirms it. The same services as the REST API do the work.
/// </summary>
public partial class Reserve
{
    private static readonly int[] DurationChoices = SpaceTypeChoices.Hours;

    private LotFacts? _lot;
    private TimeZoneInfo _zone = TimeZoneInfo.Utc;
    private Quote? _quote;
    private ReservationRow? _reservation;
    private IReadOnlyList<WalletMethod> _methods = [];
    private string? _error, _notice, _quoteMessage;
    private bool _loaded, _busy, _sandbox;
    private Guid _driverId;

    [Parameter] public Guid LotId { get; set; }
    [SupplyParameterFromQuery(Name = "type")] public string? TypeFromQuery { get; set; }
    [SupplyParameterFromQuery(Name = "start")] public string? StartFromQuery { get; set; }
    [SupplyParameterFromQuery(Name = "hours")] public int? HoursFromQuery { get; set; }
    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;

    [Inject] private LotCatalog Lots { get; set; } = null!;
    [Inject] private PricingService Pricing { get; set; } = null!;
    [Inject] private ReservationService Reservations { get; set; } = null!;
    [Inject] private IDriverWallet Wallet { get; set; } = null!;
    [Inject] private IOptions<PaymentsOptions> PaymentsOptions { get; set; } = null!;
    [Inject] private DriverSearch Search { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;

    private string SpaceType { get; set; } = "standard";
    private DateTime Start { get; set; }
    private int Hours { get; set; } = 2;
    private string? Plate { get; set; }

    private string StatusHeading => _reservation?.Status switch
    {
        "held" => "Space held: pay to confirm",
        "confirmed" => "Reservation confirmed",
        { } other => $"Reservation {other.Replace('_', ' ')}",
        null => "",
    };

    protected override async Task OnInitializedAsync()
    {
        _driverId = (await Authentication).User.UserId();
        _lot = await Lots.FindAsync(LotId, CancellationToken.None);
        _loaded = true;
        if (_lot is null) return;
        _zone = TimeZoneInfo.FindSystemTimeZoneById(_lot.TimeZone);
        _sandbox = PaymentsOptions.Value.SandboxEnabled;
        if (TypeFromQuery is { } type && SpaceTypeChoices.All.Any(c => c.Value == type)) SpaceType = type;
        Start = DateTime.TryParseExact(StartFromQuery, "yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            ? start
            : DriverSearch.DefaultStart(Time.GetUtcNow(), _lot.TimeZone);
        if (HoursFromQuery is { } hours && DurationChoices.Contains(hours)) Hours = hours;
        _methods = await Wallet.ForDriverAsync(_driverId, CancellationToken.None);
        await QuoteAsync();
    }


    private (DateTimeOffset Start, DateTimeOffset End) Window()
    {
        var start = Instants.AtLocal(DateOnly.FromDateTime(Start), Start.TimeOfDay, _zone);
        return (start, start.AddHours(Hours));
    }

    private DateTime Local(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, _zone).DateTime;

    /// <summary>A time of the reservation as the driver reads it: the lot's local time with its zone.</summary>
    private string LocalText(DateTimeOffset instant) => LocalTimes.Format(instant, _lot!.TimeZone);

    private async Task QuoteAsync()
    {
        if (_lot is null) return;
        _error = null;
        var (start, end) = Window();
        if (start < Time.GetUtcNow().AddMinutes(-1))
        {
            (_quote, _quoteMessage) = (null, "That time has passed: choose a later arrival.");
            return;
        }
        if (!_lot.IsOpenThroughout(start, end))
        {
            (_quote, _quoteMessage) = (null, $"The car park is closed for part of that window: {_lot.ClosedText(start, end)}.");
            return;
        }
        _quote = await Pricing.QuoteAsync(_lot, start, end, new PriceScope(SpaceType: SpaceType, DriverId: _driverId), CancellationToken.None);
    }

    private async Task HoldAsync() => await RunAsync(async () =>
    {
        var (start, end) = Window();
        _reservation = await Reservations.CreateAsync(_driverId,
            new ReservationRequest(LotId, null, SpaceType, start, end, string.IsNullOrWhiteSpace(Plate) ? null : Plate), CancellationToken.None);
    });

    private async Task AddSandboxCardAsync() => await RunAsync(async () =>
    {
        await Wallet.AddAsync(new WalletMethod
        {
            Id = Guid.CreateVersion7(), DriverId = _driverId, Provider = ProviderNames.Sandbox, Token = SandboxCards.Ok, Label = "Sandbox test card",
        }, CancellationToken.None);
        _methods = await Wallet.ForDriverAsync(_driverId, CancellationToken.None);
    });

    private async Task PayAsync() => await RunAsync(async () =>
    {
        var (row, payment) = await Reservations.PayAsync(_driverId, _reservation!.Id, CancellationToken.None);
        _reservation = row;
        _notice = payment.State != PaymentState.Pending ? null : "The payment provider has not answered yet; the reservation is confirmed as soon as it does.";
    });

    private async Task RunAsync(Func<Task> action)
    {
        _busy = true;
        _error = await ServiceOutcome.RunAsync(action);
        _busy = false;
    }
}
