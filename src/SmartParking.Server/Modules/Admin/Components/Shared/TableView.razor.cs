using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Web;
using SmartParking.Server.Platform.Components;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Admin.Components.Shared;

public partial class TableView<T>
{
    private IReadOnlyList<T> _rows = [];
    private long _total;
    private int _page = 1;
    private string? _sort;
    private SortDirection _direction;
    private string? _searchText, _search, _error, _shownFilters;

    [Parameter, EditorRequired] public IDataTable<T> Table { get; set; } = null!;
    /// <summary>Named filters the page sets (lotId, health, status…); a change starts again at page 1.</summary>
    [Parameter] public IReadOnlyDictionary<string, string?>? Filters { get; set; }
    /// <summary>Column keys to show, in order; default every column but the raw id.</summary>
    [Parameter] public IReadOnlyList<string>? Show { get; set; }
    [Parameter] public RenderFragment<T>? RowActions { get; set; }
    /// <summary>Where the first cell of a row links to (a detail page), if anywhere.</summary>
    [Parameter] public Func<T, string?>? RowLink { get; set; }
    [Parameter] public Func<T, object?>? RowKey { get; set; }
    [Parameter] public int PageSize { get; set; } = 25;
    /// <summary>Raise it to reload the current page after the page changed something.</summary>
    [Parameter] public int Version { get; set; }

    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private IOptions<WebOptions> Options { get; set; } = null!;
    [Inject] private Availability.AvailabilityModel Availability { get; set; } = null!;

    private TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(Options.Value.DefaultTimeZone);

    // A lot's id reads as its name on screen (exports keep the id, which joins with other files).
    private string CellValue(TableColumn<T> column, T row)
    {
        var value = column.Value(row);
        return column.Key == "lotId" && value is Guid lotId && Availability.Lot(lotId)?.Name is { } name ? name : CellText.Format(value, column.Kind, Zone);
    }
    private int _shownVersion = -1;

    private IReadOnlyList<TableColumn<T>> VisibleColumns =>
        Show is null
            ? Table.Definition.Columns.Where(c => c.Key != "id").ToList()
            : Show.Select(key => Table.Definition.Columns.First(c => c.Key == key)).ToList();

    private string SortHeader => Table.Definition.Columns.First(c => c.Key == (_sort ?? Table.Definition.DefaultSort)).Header.ToLowerInvariant();

    private string RangeText => _total == 0
        ? "No rows"
        : string.Create(CultureInfo.InvariantCulture, $"Rows {(_page - 1) * PageSize + 1:N0}–{Math.Min(_page * PageSize, _total):N0} of {_total:N0}");

    protected override async Task OnParametersSetAsync()
    {
        var filters = FiltersKey();
        if (filters == _shownFilters && Version == _shownVersion) return;
        if (filters != _shownFilters) _page = 1;
        (_shownFilters, _shownVersion) = (filters, Version);
        await LoadAsync();
    }

    private string FiltersKey() => Filters is null ? "" : string.Join("&", Filters.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}"));

    private TableRequest Request() => new()
    {
        Page = _page,
        PageSize = PageSize,
        Sort = _sort,
        Direction = _direction,
        Search = _search,
        Filters = Filters ?? new Dictionary<string, string?>(),
    };

    private async Task LoadAsync()
    {
        var user = (await Authentication).User;
        Page<T>? page = null;
        _error = await ServiceOutcome.RunAsync(async () => page = await Table.PageAsync(user, Request(), CancellationToken.None));
        if (page is null) return;
        (_rows, _total) = (page.Items, page.Total);
    }

    private async Task SortAsync(string key)
    {
        var current = _sort ?? Table.Definition.DefaultSort;
        var currentDirection = _sort is null ? Table.Definition.DefaultDirection : _direction;
        _direction = key == current && currentDirection == SortDirection.Ascending ? SortDirection.Descending : SortDirection.Ascending;
        _sort = key;
        _page = 1;
        await LoadAsync();
    }

    private async Task SearchAsync()
    {
        _search = string.IsNullOrWhiteSpace(_searchText) ? null : _searchText.Trim();
        _page = 1;
        await LoadAsync();
    }

    private async Task GoAsync(int page)
    {
        _page = Math.Max(1, page);
        await LoadAsync();
    }

    private bool IsSorted(TableColumn<T> column) => column.Key == (_sort ?? Table.Definition.DefaultSort);

    private SortDirection EffectiveDirection => _sort is null ? Table.Definition.DefaultDirection : _direction;

    private string? AriaSort(TableColumn<T> column) =>
        !IsSorted(column) ? null : EffectiveDirection == SortDirection.Descending ? "descending" : "ascending";

    private string SortMark(TableColumn<T> column) => !IsSorted(column) ? "" : EffectiveDirection == SortDirection.Descending ? " ▼" : " ▲";

    /// <summary>The cookie-authenticated export route with this view's sort, search and filters.</summary>
    private string ExportUrl(string format)
    {
        var query = new StringBuilder($"/admin/exports/{Uri.EscapeDataString(Table.Name)}?format={format}");
        if (_sort is not null) query.Append("&sort=").Append(Uri.EscapeDataString(_sort)).Append("&dir=").Append(_direction == SortDirection.Descending ? "desc" : "asc");
        if (_search is not null) query.Append("&q=").Append(Uri.EscapeDataString(_search));
        foreach (var (key, value) in Filters ?? new Dictionary<string, string?>())
            if (value is not null) query.Append('&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        return query.ToString();
    }
}
