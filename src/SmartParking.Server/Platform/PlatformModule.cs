using Microsoft.AspNetCore.Http.Json;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Hosting;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Input;
using SmartParking.Server.Platform.Observability;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Security;

namespace SmartParking.Server.Platform;

public static class PlatformModule
{
    public static async Task AddPlatformAsync(this WebApplicationBuilder builder)
    {
        // First, so a bad role stops start-up before anything (the embedded PostgreSQL) has started.
        builder.Services.AddSingleton(builder.NodeRole());
        builder.AddStartupErrorReporting();
        builder.AddObservability();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Instance ??= c.HttpContext.Request.Path;
            c.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? c.HttpContext.TraceIdentifier;
            if (c.ProblemDetails is not HttpValidationProblemDetails && c.ProblemDetails.Status == 400 && c.Exception is null
                && BindingFailures.Find(c.HttpContext) is { Count: > 0 } errors)
            {
                c.ProblemDetails.Title = "One or more fields are invalid.";
                c.ProblemDetails.Extensions["errors"] = errors;
            }
        });
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // Binding failures reach the exception handler in every environment, so their 400 names the field (and the
        // generated delegates' silent ones are named above, by BindingFailures).
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.SnakeCaseLower));
            o.SerializerOptions.Converters.Add(new StoredTextJsonConverter());
        });
        builder.Services.AddOpenApi(o => o.AddSchemaTransformer<OpenApi.ApiSchemaTransformer>());
        builder.AddHttpHygiene();
        await builder.AddDatabaseAsync();
        // Before the key ring: its keys are sealed with these, and its hosted service reads them at start, after the key check.
        builder.AddFieldEncryption();
        builder.Services.AddSharedKeyRing();
        builder.AddEvents();
    }

    /// <summary>Middleware order matters: errors outermost, then headers, CORS, auth, rate limits.</summary>
    public static void UsePlatform(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseHttpHygiene();
        app.UseStoredTextQuery();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseIdempotency();
        // Probes and metrics on every role; the API's description only where the API is served.
        app.MapObservabilityEndpoints();
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<StartupState>().Started = true);
        if (!app.Services.GetRequiredService<NodeRole>().Runs(NodeParts.Api)) return;
        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "api/docs";
            ui.SwaggerEndpoint("/openapi/v1.json", "SmartParking API v1");
            ui.DocumentTitle = "SmartParking API";
        });
    }
}
