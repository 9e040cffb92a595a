using Microsoft.Playwright;
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

        await ScrollUntilListedAsync(watched.Page, "/api/v1/availability");
        await ScrollUntilListedAsync(watched.Page, "/api/v1/manage/lots");
        watched.ShouldHaveNoErrors();
    }

    /// <summary>
    /// A document this size is drawn lazily (operations further down appear as the reader scrolls to them), so the
    /// test scrolls as a reader would until the operation is listed.
    /// </summary>
    private static async Task ScrollUntilListedAsync(IPage page, string path)
    {
        var operation = page.GetByText(path).First;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        await page.Mouse.MoveAsync(400, 400);
        while (await operation.CountAsync() == 0 && DateTime.UtcNow < deadline)
        {
            await page.Mouse.WheelAsync(0, 1500);
            await page.WaitForTimeoutAsync(100);
        }
        await Expect(operation).ToBeVisibleAsync();
    }
}
