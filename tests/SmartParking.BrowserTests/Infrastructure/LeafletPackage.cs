using System.Diagnostics;
using Microsoft.Playwright;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>
/// The real Leaflet 1.9.4 from the npm registry (npm pack, cached under .cache/ at the repository root), served to
/// the browser in place of unpkg, and a blank PNG for every OpenStreetMap tile: the machine running the tests is
/// offline, and a failed load would be a console error. Without npm the map is switched off instead
/// (Web:LeafletBaseUrl empty) and <see cref="Unavailable"/> says why.
/// </summary>
public static class LeafletPackage
{
    public const string Version = "1.9.4";
    public const string BaseUrl = $"https://unpkg.com/leaflet@{Version}/dist/";
    public const string TileHost = "https://tile.openstreetmap.org/";

    // A 1x1 transparent PNG.
    private static readonly byte[] BlankTile = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=");

    public static string? Dist { get; private set; }
    public static string? Unavailable { get; private set; }

    public static async Task EnsureAsync()
    {
        var cache = Path.Combine(Repository.Root, ".cache", $"leaflet-{Version}");
        var dist = Path.Combine(cache, "package", "dist");
        if (!File.Exists(Path.Combine(dist, "leaflet.js")))
        {
            Directory.CreateDirectory(cache);
            var error = await RunAsync(cache, "npm", "pack", $"leaflet@{Version}", "--silent")
                        ?? await RunAsync(cache, "tar", "xzf", $"leaflet-{Version}.tgz");
            if (error is not null)
            {
                Unavailable = $"Leaflet {Version} could not be fetched with npm ({error}); the map is off and only the list is tested.";
                return;
            }
        }
        Dist = dist;
    }

    /// <summary>Serves Leaflet and blank tiles to every page of a context.</summary>
    public static async Task RouteAsync(IBrowserContext context)
    {
        if (Dist is not { } dist) return;
        await context.RouteAsync(BaseUrl + "**", async route =>
        {
            var name = Path.GetFileName(new Uri(route.Request.Url).AbsolutePath);
            var file = Path.Combine(dist, name);
            if (!File.Exists(file))
            {
                await route.FulfillAsync(new RouteFulfillOptions { Status = 404, Headers = Cors });
                return;
            }
            await route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 200,
                BodyBytes = await File.ReadAllBytesAsync(file),
                ContentType = name.EndsWith(".css", StringComparison.Ordinal) ? "text/css" : name.EndsWith(".js", StringComparison.Ordinal) ? "application/javascript" : "application/octet-stream",
                // The page loads Leaflet with crossorigin + integrity, which needs a CORS answer, as unpkg gives.
                Headers = Cors,
            });
        });
        await context.RouteAsync(TileHost + "**", route =>
            route.FulfillAsync(new RouteFulfillOptions { Status = 200, BodyBytes = BlankTile, ContentType = "image/png", Headers = Cors }));
    }

    private static readonly Dictionary<string, string> Cors = new() { ["Access-Control-Allow-Origin"] = "*" };

    private static async Task<string?> RunAsync(string directory, string command, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, args)
            {
                WorkingDirectory = directory,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
            await process.WaitForExitAsync(deadline.Token);
            return process.ExitCode == 0 ? null : $"{command} exited with {process.ExitCode}: {(await stderr).Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            return $"{command}: {e.Message}";
        }
    }
}
