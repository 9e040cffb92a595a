using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Web.Components.Driver;
using SmartParking.Server.Modules.Web;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Web;

/// <summary>
/// The driver page closing while its quotes load. bunit is not referenced, so the component is made by hand with the
/// server's own DriverSearch, and its private members reached by reflection.
/// </summary>
public sealed class FindParkingDisposeTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;

    [Fact]
    public async Task QuoteAll_AfterThePageClosed_EndsWithoutObjectDisposedException()
    {
        var (lat, lng) = IngestKit.SomewhereNew();
        using (var op = factory.OperatorClient()) await op.CreateLotAtAsync(lat, lng, "Closing Page Lot");
        var search = factory.Services.GetRequiredService<DriverSearch>();
        var results = await Poll.UntilAsync(() => search.SearchAsync(lat, lng, new SearchFilter(null, null), CancellationToken.None),
            r => r.Count == 1, IngestKit.Eventually, "the lot in the driver search");

        var page = new FindParking();
        typeof(FindParking).GetProperty("Search", Private)!.SetValue(page, search);
        typeof(FindParking).GetField("_results", Private)!.SetValue(page, results);
        typeof(FindParking).GetProperty("Start", Private)!.SetValue(page, new DateTime(2030, 3, 4, 10, 0, 0));
        await page.DisposeAsync();

        var quoting = (Task)typeof(FindParking).GetMethod("QuoteAllAsync", Private)!.Invoke(page, null)!;
        var error = await Record.ExceptionAsync(() => quoting);

        // Cancelled is what a closed page's work should end as (Blazor ignores a cancelled task); anything else is logged as an error.
        (error is null or OperationCanceledException).ShouldBeTrue(error?.ToString());
    }
}
