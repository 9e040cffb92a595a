using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Identity.Audit;

public static class AuditEndpoints
{
    public static void MapAuditEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/manage/audit", List).WithTags("Audit").RequireAuthorization(Policies.Operator);

    private static async Task<Page<AuditEntry>> List(ClaimsPrincipal principal, NpgsqlDataSource db, int? page, int? pageSize,
        string? entityType, string? entityId, DateTimeOffset? from, DateTimeOffset? to, Guid? tenantId, CancellationToken ct)
    {
        var paging = Paging.From(page, pageSize);
        new Validation().MaxLength(entityType, "entityType", 50).MaxLength(entityId, "entityId", 200)
            .Check(from is null || to is null || from < to, "to", "must be after 'from'.").ThrowIfInvalid();
        var scope = principal.TenantScope(tenantId);
        const string where = """
            where (@scope::uuid is null or tenant_id = @scope) and (@entityType::text is null or entity_type = @entityType)
              and (@entityId::text is null or entity_id = @entityId) and (@from::timestamptz is null or at >= @from) and (@to::timestamptz is null or at < @to)
            """;
        var args = new { scope, entityType, entityId, from, to, paging.PageSize, paging.Offset };
        await using var connection = await db.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"select count(*) from audit_log {where}", args, cancellationToken: ct));
        var items = await connection.QueryAsync<AuditEntry>(new CommandDefinition(
            $"select id, tenant_id, actor_id, actor_email, action, entity_type, entity_id, changes::text as changes_json, at from audit_log {where} order by id desc limit @PageSize offset @Offset",
            args, cancellationToken: ct));
        return new Page<AuditEntry>(items.ToList(), paging.Page, paging.PageSize, total);
    }
}
