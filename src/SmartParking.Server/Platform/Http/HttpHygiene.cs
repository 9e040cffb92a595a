using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Platform.Http;

public static class HttpHygiene
{
    public const string AuthPolicy = "auth";
    public const string CorsPolicy = "api";

    public static void AddHttpHygiene(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HttpOptions>().Bind(builder.Configuration.GetSection(HttpOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(HttpOptions.Section).Get<HttpOptions>() ?? new HttpOptions();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.AddServerHeader = false;
        });

        builder.Services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy =>
        {
            if (options.CorsOrigins.Length > 0)
                policy.WithOrigins(options.CorsOrigins).AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("Retry-After", "Location", "Link", ResultWindow.TotalHeader);
        }));

        // Every request passes the global limit: a limiter of our own that takes no lock (ASP.NET's locks on every request).
        // A singleton, so the container disposes it (its sweep timer) with the app.
        builder.Services.AddSingleton(sp =>
        {
            var http = sp.GetRequiredService<IOptions<HttpOptions>>().Value;
            return new KeyedFixedWindowLimiter(TimeSpan.FromSeconds(http.WindowSeconds), request =>
                IsExempt(request.Request.Path) ? KeyedFixedWindowLimiter.Partition.NotLimited
                : request.GetEndpoint() is { } endpoint && endpoint.Metadata.GetMetadata<ProviderWebhook>() is not null
                    ? new KeyedFixedWindowLimiter.Partition("provider:" + endpoint.DisplayName, http.ProviderWebhookRequestsPerWindow)
                : new KeyedFixedWindowLimiter.Partition(ClientKey(request), http.RequestsPerWindow));
        });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<KeyedFixedWindowLimiter>((limiter, global) => limiter.GlobalLimiter = global);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Sign-in attempts are what this limits; showing the sign-in page (a GET) is not an attempt. Attempts are few,
            // so ASP.NET's own limiter, with its locks, is no queue here.
            limiter.AddPolicy(AuthPolicy, http => HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
                ? RateLimitPartition.GetNoLimiter("auth-page")
                : RateLimitPartition.GetFixedWindowLimiter("auth:" + RemoteIp(http), _ => Window(http, o => o.AuthRequestsPerWindow)));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(options.WindowSeconds);
                var http = context.HttpContext;
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = new ProblemDetails { Status = 429, Title = "Too many requests", Detail = "Rate limit exceeded; retry after the time in the Retry-After header." },
                });
            };
        });
    }

    public static void UseHttpHygiene(this WebApplication app)
    {
        app.Use((http, next) =>
        {
            // Added as the response starts: the exception handler clears headers set before it ran, and
            // error responses need these as much as any.
            http.Response.OnStarting(static state => { AddSecurityHeaders((HttpContext)state); return Task.CompletedTask; }, http);
            return next(http);
        });
        app.UseCors(CorsPolicy);
    }

    private static void AddSecurityHeaders(HttpContext http)
    {
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()";
        // The API explorer page needs inline script and style; the web app's pages bring their own policy; everything else is JSON.
        var path = http.Request.Path;
        headers.ContentSecurityPolicy = path.StartsWithSegments("/api/docs")
            ? "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
            : !IsMachineRoute(path) && http.RequestServices.GetService<IPagePolicy>() is { } pages
                ? pages.ContentSecurityPolicy(http)
                : "default-src 'none'; frame-ancestors 'none'";
        if (http.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
    }

    /// <summary>Lets an endpoint accept a bigger body than the global limit (bulk imports); routing applies it before binding.</summary>
    public static TBuilder AllowImportSizedBody<TBuilder>(this TBuilder builder, IConfiguration configuration) where TBuilder : IEndpointConventionBuilder
    {
        var options = configuration.GetSection(HttpOptions.Section).Get<HttpOptions>() ?? new HttpOptions();
        return builder.WithMetadata(new RequestSizeLimitAttribute(options.MaxImportBodyBytes));
    }

    private static FixedWindowRateLimiterOptions Window(HttpContext http, Func<HttpOptions, int> permits)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<HttpOptions>>().Value;
        return new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits(options),
            Window = TimeSpan.FromSeconds(options.WindowSeconds),
            QueueLimit = 0,
        };
    }

    /// <summary>Routes that answer machines (JSON, feeds, probes, the chat's webhooks and Rasa's parse), never pages.</summary>
    private static bool IsMachineRoute(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/openapi") || path.StartsWithSegments("/ngsi-ld") || path.StartsWithSegments("/v2")
        || path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/webhooks") || path.StartsWithSegments("/model");

    private static bool IsExempt(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    private static string ClientKey(HttpContext http) =>
        http.User.FindFirstValue("sub") is { } user ? "user:" + user : "ip:" + RemoteIp(http);

    private static string RemoteIp(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "local";
}
