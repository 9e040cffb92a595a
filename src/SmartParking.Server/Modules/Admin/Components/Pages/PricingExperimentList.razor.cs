using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Admin.Components.Shared;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Web;
using SmartParking.Server.Platform.Components;

namespace SmartParking.Server.Modules.Admin.Components.Pages;

/// <summary>Pricing A/B tests: create one with a variant of the default policy, list them, read a report.</summary>
public partial class PricingExperimentList
{
    private readonly FormErrors _errors = new();
    private ExperimentForm _form = new();
    private IReadOnlyList<PricingExperiment> _experiments = [];
    private ExperimentReport? _report;
    private string? _status, _reportError;

    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private IOptions<WebOptions> Options { get; set; } = null!;

    private TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(Options.Value.DefaultTimeZone);

    protected override async Task OnInitializedAsync() => await LoadAsync();


    private async Task LoadAsync() => _experiments = await Experiments.ListAsync((await Authentication).User, CancellationToken.None);

    private string Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone).ToString("d MMM yyyy HH:mm", CultureInfo.InvariantCulture);

    private static string Show(Estimate? e, bool percent = false)
    {
        if (e is null) return "–";
        string F(double v) => percent ? (v * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %" : v.ToString("0.##", CultureInfo.InvariantCulture);
        return $"{F(e.Mean)} ({F(e.Low)} to {F(e.High)})";
    }

    private async Task CreateAsync()
    {
        _status = null;
        var parse = new Dictionary<string, string[]>();
        var request = _form.ToRequest(Zone, parse);
        if (_errors.Found(parse)) return;
        var user = (await Authentication).User;
        PricingExperiment? created = null;
        if (!await _errors.RunAsync(async () => created = await Experiments.CreateAsync(user, request, null, CancellationToken.None))) return;
        _status = $"Experiment {created!.Name} created.";
        _form = new ExperimentForm();
        await LoadAsync();
    }

    private async Task ReportAsync(Guid id)
    {
        var user = (await Authentication).User;
        _report = null;
        _reportError = await ServiceOutcome.RunAsync(async () => _report = await Experiments.ReportAsync(user, id, CancellationToken.None));
    }

    private sealed class ExperimentForm
    {
        public string? Name { get; set; }
        public string Unit { get; set; } = ExperimentUnits.Lots;
        public string? Share { get; set; } = "0.5";
        public string? StartsAt { get; set; }
        public string? EndsAt { get; set; }
        public string? BandLow { get; set; } = PricingPolicy.Default.BandLowPercent.ToString(CultureInfo.InvariantCulture);
        public string? BandHigh { get; set; } = PricingPolicy.Default.BandHighPercent.ToString(CultureInfo.InvariantCulture);
        public string? Step { get; set; } = PricingPolicy.Default.StepPercent.ToString(CultureInfo.InvariantCulture);

        public ExperimentRequest ToRequest(TimeZoneInfo zone, Dictionary<string, string[]> errors)
        {
            var input = new FormInput(errors);
            var d = PricingPolicy.Default;
            var variant = d with
            {
                BandLowPercent = input.Number(BandLow, "bandLowPercent") ?? d.BandLowPercent,
                BandHighPercent = input.Number(BandHigh, "bandHighPercent") ?? d.BandHighPercent,
                StepPercent = input.Number(Step, "stepPercent") ?? d.StepPercent,
            };
            return new ExperimentRequest(Name?.Trim(), Unit, variant, input.Number(Share, "share"), null, input.Time(StartsAt, zone, "startsAt"), input.Time(EndsAt, zone, "endsAt"));
        }
    }
}
