using System.ComponentModel;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;

namespace SmartParking.Server.Modules.Lots.Tenants;

/// <summary>Operator organisations. Admins create them; operators read their own.</summary>
public static class TenantEndpoints
{
    public static void MapTenantEndpoints(this IEndpointRouteBuilder app)
    {
        var tenants = app.MapGroup("/api/v1/manage/tenants").WithTags("Tenants").RequireAuthorization(Policies.Operator);
        tenants.MapGet("/", List);
        tenants.MapGet("/{id:guid}", Get);
        tenants.MapPost("/", Create).RequireAuthorization(Policies.Admin).ExplainForbidden(TenantDirectory.OnlyAdminsCreate);
    }

    private static Task<IReadOnlyList<Tenant>> List(ClaimsPrincipal principal, TenantDirectory tenants, CancellationToken ct) =>
        tenants.ListAsync(principal, ct);

    private static async Task<Tenant> Get(Guid id, ClaimsPrincipal principal, NpgsqlDataSource db, CancellationToken ct)
    {
        var scope = principal.TenantScope();
        if (scope is { } own && own != id) throw new NotFoundException("Tenant");
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Tenant>(new CommandDefinition("select * from tenants where id = @id", new { id }, cancellationToken: ct))
               ?? throw new NotFoundException("Tenant");
    }

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Created<Tenant>> Create(TenantRequest request, ClaimsPrincipal principal, TenantDirectory tenants, CancellationToken ct)
    {
        var created = await tenants.CreateAsync(principal, request, ct);
        return TypedResults.Created($"/api/v1/manage/tenants/{created.Id}", created);
    }
}
