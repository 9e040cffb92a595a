using Microsoft.Playwright;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (never a downloaded browser: `playwright install` is not used here), and the
/// real server, shared by every browser test in the run.
/// </summary>
public class BrowserHost : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private IPlaywright? _playwright;

    public RunningServer Server { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public ServerApi Api { get; private set; } = null!;

    /// <summary>Settings for this host's server beyond <see cref="RunningServer"/>'s own.</summary>
    protected virtual IReadOnlyList<string> ServerArguments => [];

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath)) throw new InvalidOperationException($"{ChromiumPath} is missing: install the Debian package chromium (./test.sh does as root).");
        await LeafletPackage.EnsureAsync();
        // Without the package the map is switched off, so no page tries (and fails) to load it.
        Server = await RunningServer.StartAsync([.. ServerArguments, .. LeafletPackage.Dist is null ? ["--Web:LeafletBaseUrl", ""] : Array.Empty<string>()]);
        Api = new ServerApi(Server);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        Api?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
    }

    /// <summary>
    /// A fresh browser context (its own cookies, or those of <paramref name="storageState"/>, a context's saved
    /// state, to be signed in already) and page, watching for console errors and uncaught exceptions.
    /// </summary>
    public async Task<WatchedPage> OpenAsync(string path, ViewportSize? viewport = null, string? storageState = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseUri.ToString(),
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 900 },
            Locale = "en-GB",
            TimezoneId = "Europe/Copenhagen",
            StorageState = storageState,
        });
        await LeafletPackage.RouteAsync(context);
        var page = await context.NewPageAsync();
        var watched = new WatchedPage(context, page);
        await page.GotoAsync(path);
        return watched;
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserHost>
{
    public const string Name = "browser";
}

/// <summary>A page whose console errors and page errors are collected, so a test can say there were none.</summary>
public sealed class WatchedPage : IAsyncDisposable
{
    private readonly List<string> _errors = [];

    public WatchedPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (_errors) _errors.Add($"console: {message.Text}");
        };
        page.PageError += (_, error) => { lock (_errors) _errors.Add($"page error: {error}"); };
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }

    public IReadOnlyList<string> Errors
    {
        get { lock (_errors) return [.. _errors]; }
    }

    public void ShouldHaveNoErrors() => Errors.ShouldBeEmpty();

    public async Task ScreenshotAsync(string name, bool fullPage = false)
    {
        var directory = Path.Combine(Repository.Root, "docs", "screenshots");
        Directory.CreateDirectory(directory);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = fullPage });
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
