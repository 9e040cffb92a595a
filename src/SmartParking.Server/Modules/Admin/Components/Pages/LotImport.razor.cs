using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Admin.Components.Shared;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Admin.Components.Pages;

/// <summary>Uploads go to the same import services as the API, with the same size limit (Http:MaxImportBodyBytes).</summary>
public partial class LotImport
{
    private IReadOnlyList<LotResponse> _lots = [];
    private readonly FormErrors _csvErrors = new();
    private readonly FormErrors _fiwareErrors = new();
    private IBrowserFile? _csvFile, _fiwareFile;
    private string _csvLot = "";
    private string? _fiwareRate, _csvResult, _fiwareResult;
    private bool _busy;

    [SupplyParameterFromQuery(Name = "lotId")] public Guid? LotFromQuery { get; set; }
    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private IDataTable<LotResponse> LotsTable { get; set; } = null!;
    [Inject] private SpaceService Spaces { get; set; } = null!;
    [Inject] private FiwareImport Fiware { get; set; } = null!;
    [Inject] private IOptions<HttpOptions> Http { get; set; } = null!;

    protected override async Task OnInitializedAsync()
    {
        var user = (await Authentication).User;
        // The operator's lots by name; a tenant with more than the largest page picks from the first ones.
        _lots = (await LotsTable.PageAsync(user, TableRequest.From(1, Paging.MaxPageSize, "name", "asc"), CancellationToken.None)).Items;
        if (LotFromQuery is { } lot) _csvLot = lot.ToString();
    }


    private async Task ImportCsvAsync()
    {
        _csvResult = null;
        var missing = new Dictionary<string, string[]>();
        if (!Guid.TryParse(_csvLot, out var lotId)) missing["lot"] = ["Choose the lot the spaces belong to."];
        if (_csvFile is null) missing["file"] = ["Choose a CSV file."];
        if (missing.Count > 0)
        {
            _csvErrors.Set(missing, "Choose a lot and a file.");
            return;
        }
        var user = (await Authentication).User;
        _busy = true;
        ImportResult? result = null;
        if (await _csvErrors.RunAsync(async () =>
            {
                await using var content = await ReadAsync(_csvFile!);
                result = await Spaces.ImportCsvAsync(user, lotId, content, rotateSecrets: false, CancellationToken.None);
            }))
            _csvResult = $"Imported {_csvFile!.Name}: {result!.Created} spaces created, {result.Updated} updated"
                + (result.SensorsCreated + result.SensorsUpdated + result.Errors.Count > 0
                    ? $"; {result.SensorsCreated} sensors created, {result.SensorsUpdated} linked; rows not taken: {(result.Errors.Count == 0 ? "none" : string.Join("; ", result.Errors.Take(20).Select(e => $"row {e.Row} {e.Field} {e.Message}")))}."
                    : ".");
        _busy = false;
    }

    private async Task ImportFiwareAsync()
    {
        _fiwareResult = null;
        decimal? rate = null;
        if (!string.IsNullOrWhiteSpace(_fiwareRate))
        {
            if (!decimal.TryParse(_fiwareRate, NumberStyles.Float, CultureInfo.InvariantCulture, out var r))
            {
                _fiwareErrors.Found(new Dictionary<string, string[]> { ["baseHourlyRate"] = ["must be a number such as 25.50."] });
                return;
            }
            rate = r;
        }
        if (_fiwareFile is null)
        {
            _fiwareErrors.Set(new Dictionary<string, string[]> { ["file"] = ["Choose a JSON file."] }, "Choose a file.");
            return;
        }
        var user = (await Authentication).User;
        _busy = true;
        FiwareImportResult? result = null;
        if (await _fiwareErrors.RunAsync(async () =>
            {
                await using var content = await ReadAsync(_fiwareFile);
                result = await Fiware.ImportAsync(user, content, new FiwareImportRequest(BaseHourlyRate: rate), CancellationToken.None);
            }))
            _fiwareResult = $"Imported {_fiwareFile.Name}: {result!.LotsCreated} lots created, {result.LotsUpdated} updated; {result.SpacesCreated} spaces created, {result.SpacesUpdated} updated"
                + (result.SensorsCreated + result.SensorsUpdated + result.SensorErrors!.Count > 0
                    ? $"; {result.SensorsCreated} sensors created, {result.SensorsUpdated} linked, {result.SensorErrors.Count} devices not taken."
                    : ".");
        _busy = false;
    }

    /// <summary>
    /// The whole file, held in memory: the parsers read synchronously in places, which the browser's stream refuses, and the
    /// limit is the API's own, so the page accepts exactly what the endpoint would.
    /// </summary>
    private async Task<MemoryStream> ReadAsync(IBrowserFile file)
    {
        var limit = Http.Value.MaxImportBodyBytes;
        if (file.Size > limit)
            throw new Platform.Errors.ValidationException("file", $"is {file.Size:N0} bytes; the limit is {limit:N0}.");
        var memory = new MemoryStream();
        await using (var upload = file.OpenReadStream(limit)) await upload.CopyToAsync(memory);
        memory.Position = 0;
        return memory;
    }
}
