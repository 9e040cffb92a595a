using System.Security.Claims;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Privacy.Retention;

/// <summary>A finished run: its rows per data class.</summary>
public sealed record RetentionRunReport(Guid RunId, DateTimeOffset StartedAt, IReadOnlyList<RetentionRunEntry> Classes);

public static class RetentionModule
{
    public static void AddRetention(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RetentionPolicies>();
        builder.Services.AddSingleton<RetentionRuns>();
        builder.Services.AddSingleton<RetentionJob>();
        builder.Services.AddSingleton<IScheduledJob>(sp => sp.GetRequiredService<RetentionJob>());
        builder.Services.AddSingleton<IRetentionRule, IdempotencyRetention>();
    }

    public static void MapRetentionEndpoints(this IEndpointRouteBuilder app)
    {
        var manage = app.MapGroup("/api/v1/manage/retention").WithTags("Privacy").RequireAuthorization(Policies.Operator);
        manage.MapGet("/policies", (ClaimsPrincipal user, RetentionPolicies policies, Guid? tenantId, CancellationToken ct) => policies.ListAsync(user, tenantId, ct));
        manage.MapPut("/policies/{dataClass}", (string dataClass, SetRetentionPolicyRequest request, ClaimsPrincipal user, RetentionPolicies policies, Guid? tenantId,
            CancellationToken ct) => policies.SetAsync(user, dataClass, tenantId, request, ct));
        manage.MapDelete("/policies/{dataClass}", (string dataClass, ClaimsPrincipal user, RetentionPolicies policies, Guid? tenantId, CancellationToken ct) =>
            policies.ResetAsync(user, dataClass, tenantId, ct));

        // Runs span every tenant's data, so only administrators see or start them.
        var admin = app.MapGroup("/api/v1/manage/retention").WithTags("Privacy").RequireAuthorization(Policies.Admin);
        admin.MapGet("/runs", Runs).ExplainForbidden("Only an administrator can see retention runs.");
        admin.MapPost("/runs", RunNow).ExplainForbidden("Only an administrator can start a retention run.");
    }

    /// <summary>The last <paramref name="limit"/> runs (default 10, at most 100), newest first.</summary>
    private static async Task<IReadOnlyList<RetentionRunReport>> Runs(RetentionRuns runs, int? limit, CancellationToken ct)
    {
        new Validation().Check(limit is null or (>= 1 and <= 100), "limit", "must be from 1 to 100.").ThrowIfInvalid();
        return Group(await runs.LatestAsync(limit ?? 10, ct));
    }

    /// <summary>Runs retention now (as the daily job does) and answers what it removed.</summary>
    private static async Task<RetentionRunReport> RunNow(RetentionJob job, TimeProvider time, CancellationToken ct) =>
        Group(await job.RunNowAsync(time.GetUtcNow(), ct)).Single();

    private static IReadOnlyList<RetentionRunReport> Group(IEnumerable<RetentionRunEntry> entries) =>
        entries.GroupBy(e => e.RunId).Select(g => new RetentionRunReport(g.Key, g.Min(e => e.StartedAt), g.OrderBy(e => e.DataClass, StringComparer.Ordinal).ToList()))
            .OrderByDescending(r => r.StartedAt).ToList();
}
