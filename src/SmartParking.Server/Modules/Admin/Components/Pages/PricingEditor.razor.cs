using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using SmartParking.Server.Modules.Admin.Components.Shared;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Pricing;
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
    private int _version, _loads;
    private ClaimsPrincipal _user = new();

    [SupplyParameterFromQuery(Name = "lotId")] public Guid? LotFromQuery { get; set; }
    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private PricingPolicies PolicyStore { get; set; } = null!;
    [Inject] private IDataTable<PriceHistoryEntry> HistoryTable { get; set; } = null!;
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
        var load = ++_loads;
        var lotId = LotId;
        var lot = await Lots.FindForOperatorAsync(lotId, _user, CancellationToken.None);
        var policy = await PolicyStore.LotPolicyAsync(lotId, _user, CancellationToken.None);
        var history = await HistoryAsync(lotId);
        // The page is usable while its first lot loads: if another lot was picked meanwhile, only the latest is shown
        // (else its form would show, and save, the first lot's policy).
        if (load != _loads) return;
        _errors.Clear();
        _status = null;
        _lotBase = $"{lot.BaseHourlyRate.ToString("0.00", CultureInfo.InvariantCulture)} {lot.Currency}";
        _form = PolicyForm.From(policy);
        ShowHistory(lotId, history);
    }

    private async Task<IReadOnlyList<PriceHistoryEntry>> HistoryAsync(Guid lotId)
    {
        var now = Time.GetUtcNow();
        var request = new TableRequest { PageSize = 500, Sort = "at", Direction = SortDirection.Ascending }
            .With("lotId", lotId).With("from", now.AddDays(-7)).With("to", now);
        return (await HistoryTable.PageAsync(_user, request, CancellationToken.None)).Items;
    }

    private void ShowHistory(Guid lotId, IReadOnlyList<PriceHistoryEntry> rows)
    {
        _history = rows.Select(h => new ChartPoint(h.At, (double)h.RateNow)).ToList();
        var latest = rows.LastOrDefault();
        _priceNow = latest is null ? null : $"{latest.RateNow.ToString("0.00", CultureInfo.InvariantCulture)} {Availability.Lot(lotId)?.Currency}/h";
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
            ShowHistory(LotId, await HistoryAsync(LotId));
            _status = $"Saved. The price now is {_priceNow}; the scheduler moves it from here.";
        }
        else
        {
            _status = "Not saved: " + (_errors.Summary ?? "correct the fields marked above.");
        }
        _saving = false;
    }
}
