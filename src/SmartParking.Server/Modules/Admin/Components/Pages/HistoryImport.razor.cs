using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Forms;
using SmartParking.Server.Modules.Admin.Components.Shared;
using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Admin.Components.Pages;

/// <summary>
/// Occupancy history uploads go to the same import as the API, with the same limit (Analytics:ImportMaxBytes), and the
/// tenant's past imports can be opened again. An admin picks the tenant; the time zone starts as the tenant's.
/// </summary>
public partial class HistoryImport
{
    private readonly FormErrors _errors = new();
    private IReadOnlyList<Tenant> _tenants = [];
    private IReadOnlyList<HistoryImportSummary> _past = [];
    private HistoryImportReport? _report;
    private IBrowserFile? _file;
    private string _tenant = "", _timeZone = "";
    private bool _busy;
    private ClaimsPrincipal _user = new();

    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private HistoryImportService Imports { get; set; } = null!;
    [Inject] private TenantDirectory Tenants { get; set; } = null!;

    private string MaxSize => $"{Imports.MaxBytes / 1_000_000.0:0.#} MB";

    private Guid? TenantId => Guid.TryParse(_tenant, out var id) ? id : null;

    protected override async Task OnInitializedAsync()
    {
        _user = (await Authentication).User;
        _tenants = await Tenants.ListAsync(_user, CancellationToken.None);
        if (_tenants.Count == 1) _tenant = _tenants[0].Id.ToString();
        TenantChosen();
        await LoadPastAsync();
    }

    private void TenantChosen()
    {
        if (_tenants.FirstOrDefault(t => t.Id == TenantId) is { } tenant) _timeZone = tenant.TimeZone;
    }

    private async Task LoadPastAsync() =>
        _past = TenantId is not null || _tenants.Count <= 1 ? await Imports.ListAsync(_user, TenantId, CancellationToken.None) : [];

    private async Task ImportAsync()
    {
        var missing = new Dictionary<string, string[]>();
        if (_tenants.Count > 1 && TenantId is null) missing["tenantId"] = ["Choose the tenant whose lots the history is for."];
        if (_file is null) missing["file"] = ["Choose a CSV file."];
        else if (_file.Size > Imports.MaxBytes) missing["file"] = [$"is {_file.Size:N0} bytes; the limit is {Imports.MaxBytes:N0} (Analytics:ImportMaxBytes)."];
        if (missing.Count > 0)
        {
            _errors.Set(missing, "Choose a file to import.");
            return;
        }
        _busy = true;
        HistoryImportReport? report = null;
        if (await _errors.RunAsync(async () =>
            {
                await using var upload = _file!.OpenReadStream(Imports.MaxBytes);
                report = await Imports.ImportAsync(_user, TenantId, upload, _file.Name, _timeZone, CancellationToken.None);
            }))
        {
            _report = report;
            await LoadPastAsync();
        }
        _busy = false;
    }

    private async Task ShowAsync(Guid id)
    {
        HistoryImportReport? report = null;
        if (await _errors.RunAsync(async () => report = await Imports.GetAsync(_user, id, CancellationToken.None))) _report = report;
    }

    private static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "";

    private static string Reason(string reason) => reason switch
    {
        "unreadable" => "Could not be read",
        "unknown_lot" => "Lot not found",
        "no_capacity" => "Capacity zero or less",
        "negative_occupied" => "Occupied below zero",
        "duplicate" => "Same lot and time as an earlier row",
        _ => reason,
    };
}
