using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using SmartParking.Server.Modules.Admin.Components.Shared;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Web.Components;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Admin.Components.Pages;

/// <summary>A lot's pricing policy: edit with per-field validation (the API's own rules), and see why each price was what it was.</summary>
public partial class PricingEditor
{
    private IReadOnlyList<LotAvailability> _lots = [];
    private PolicyForm? _form;
    private readonly FormErrors _errors = new();
    private IReadOnlyList<ChartPoint> _history = [];
    private string? _status, _priceNow, _lotBase;
    private bool _saving;
    private int _version;
    private ClaimsPrincipal _user = new();

    [SupplyParameterFromQuery(Name = "lotId")] public Guid? LotFromQuery { get; set; }
    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private PricingPolicies PolicyStore { get; set; } = null!;
    [Inject] private PriceHistoryTable HistoryTable { get; set; } = null!;
    [Inject] private AvailabilityModel Availability { get; set; } = null!;
    [Inject] private LotCatalog Lots { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;

    private Guid LotId { get; set; }
    private IReadOnlyDictionary<string, string?> HistoryFilters => new Dictionary<string, string?> { ["lotId"] = LotId.ToString() };

    protected override async Task OnInitializedAsync()
    {
        _user = (await Authentication).User;
        _lots = Availability.LotsOf(_user.TenantScope());
        if (_lots.Count == 0) return;
        LotId = LotFromQuery is { } wanted && _lots.Any(l => l.LotId == wanted) ? wanted : _lots[0].LotId;
        await LoadAsync();
    }


    private async Task LoadAsync()
    {
        _errors.Clear();
        _status = null;
        var lot = await Lots.FindForOperatorAsync(LotId, _user, CancellationToken.None);
        _lotBase = $"{lot.BaseHourlyRate.ToString("0.00", CultureInfo.InvariantCulture)} {lot.Currency}";
        _form = PolicyForm.From(await PolicyStore.LotPolicyAsync(LotId, _user, CancellationToken.None));
        await LoadHistoryAsync();
    }

    private async Task LoadHistoryAsync()
    {
        var now = Time.GetUtcNow();
        var request = new TableRequest { PageSize = 500, Sort = "at", Direction = SortDirection.Ascending }
            .With("lotId", LotId).With("from", now.AddDays(-7)).With("to", now);
        var rows = await HistoryTable.PageAsync(_user, request, CancellationToken.None);
        _history = rows.Items.Select(h => new ChartPoint(h.At, (double)h.RateNow)).ToList();
        var latest = rows.Items.LastOrDefault();
        _priceNow = latest is null ? null : $"{latest.RateNow.ToString("0.00", CultureInfo.InvariantCulture)} {Availability.Lot(LotId)?.Currency}/h";
        _version++;
    }

    private void ToggleDay(string day, ChangeEventArgs e)
    {
        if (e.Value is true) _form!.PeakDays.Add(day);
        else _form!.PeakDays.Remove(day);
    }

    private void SetType(string type, ChangeEventArgs e) =>
        _form!.TypeMultipliers[type] = decimal.TryParse(e.Value?.ToString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var m) ? m : null;

    private async Task SaveAsync()
    {
        _saving = true;
        if (await _errors.RunAsync(() => PolicyStore.SaveLotPolicyAsync(LotId, _form!.ToPolicy(), _user, CancellationToken.None)))
        {
            await LoadHistoryAsync();
            _status = $"Saved. The price now is {_priceNow}; the scheduler moves it from here.";
        }
        else
        {
            _status = "Not saved: " + (_errors.Summary ?? "correct the fields marked above.");
        }
        _saving = false;
    }
}
