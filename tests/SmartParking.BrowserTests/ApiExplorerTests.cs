using SmartParking.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class ApiExplorerTests(BrowserHost host)
{
    [Fact]
    public async Task ApiExplorer_ListsTheApiFromTheOpenApiDocument_WithoutConsoleErrors()
    {
        await using var watched = await host.OpenAsync("/api/docs");

        await Expect(watched.Page.GetByText("/api/v1/availability").First).ToBeVisibleAsync();
        await Expect(watched.Page.GetByText("/api/v1/manage/lots").First).ToBeVisibleAsync();
        watched.ShouldHaveNoErrors();
    }
}
