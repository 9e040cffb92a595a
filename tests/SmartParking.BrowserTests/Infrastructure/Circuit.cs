using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>Waiting for a page's Blazor circuit: until it is up, clicks do nothing, so tests act only after it.</summary>
public static class Circuit
{
    /// <summary>Pages mark themselves data-interactive="true" on their first interactive render (InteractivePage).</summary>
    public static Task InteractiveAsync(IPage page, string scope = "") =>
        Expect(page.Locator($"{scope}[data-interactive='true']")).ToBeVisibleAsync(new() { Timeout = 30_000 });
}
