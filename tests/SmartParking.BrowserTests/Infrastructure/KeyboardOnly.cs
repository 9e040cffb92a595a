using Microsoft.Playwright;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>Getting somewhere with the Tab key alone, as a keyboard user does: a control Tab never reaches fails the test.</summary>
public static class KeyboardOnly
{
    /// <summary>Presses Tab until the condition (a JS function) holds, at most <paramref name="maxTabs"/> times.</summary>
    public static async Task TabUntilAsync(IPage page, string condition, int maxTabs = 60)
    {
        for (var i = 0; i < maxTabs; i++)
        {
            if (await page.EvaluateAsync<bool>(condition)) return;
            await page.Keyboard.PressAsync("Tab");
        }
        (await page.EvaluateAsync<bool>(condition)).ShouldBeTrue($"Tab did not reach: {condition}");
    }

    /// <summary>Presses Tab until <paramref name="target"/> has the focus.</summary>
    public static async Task TabToAsync(IPage page, ILocator target, int maxTabs = 60)
    {
        for (var i = 0; i < maxTabs; i++)
        {
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement")) return;
            await page.Keyboard.PressAsync("Tab");
        }
        (await target.EvaluateAsync<bool>("e => e === document.activeElement")).ShouldBeTrue("Tab did not reach the control.");
    }
}
