using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SmartParking.Server.Platform.Hosting;

/// <summary>
/// The readiness answer as JSON: the overall status, this node's role and what it serves, and each check's status, so an
/// operator (or a test) sees from outside which part of the platform a replica runs.
/// </summary>
public static class RoleReadiness
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var role = context.RequestServices.GetRequiredService<NodeRole>();
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            role = role.Name,
            serves = role.Serves,
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
    }
}
