using Microsoft.AspNetCore.Components.Authorization;
using SmartParking.Server.Modules.Web.Components;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Web;

/// <summary>The Blazor (Interactive Server) web app in the same host: the driver pages at <c>/</c>; other areas add their pages here.</summary>
public static class WebModule
{
    public static void AddWebModule(this WebApplicationBuilder builder)
    {
        // Run from bin outside Development (dotnet SmartParking.Server.dll), the static files are found only through the
        // build's static web assets manifest; Development turns this on by itself, and a published app has no manifest.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddOptions<WebOptions>().Bind(builder.Configuration.GetSection(WebOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => TimeZoneInfo.TryFindSystemTimeZoneById(o.DefaultTimeZone, out _), "Web:DefaultTimeZone is not a known time zone.")
            .ValidateOnStart();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<AuthenticationStateProvider, CircuitAccountCheck>();
        builder.Services.AddSingleton<IPagePolicy, WebPagePolicy>();
        builder.Services.AddSingleton<PlaceFinder>();
        builder.Services.AddSingleton<Geocoder>();
        builder.Services.AddHttpClient(Geocoder.HttpClientName, c => c.DefaultRequestHeaders.UserAgent.ParseAdd("SmartParking/1.0 (open-source parking platform)"));
        builder.Services.AddSingleton<DriverSearch>();
    }

    public static void MapWebEndpoints(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
    }
}
