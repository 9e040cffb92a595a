using System.ComponentModel;
using System.Security.Claims;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.OpenApi;
using SmartParking.Server.Platform.Tables;
using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;

namespace SmartParking.Server.Modules.Identity;

public sealed record UserSummary(Guid Id, string Email, string? DisplayName, string Role, Guid? TenantId, bool TwoFactorEnabled, DateTimeOffset CreatedAt, bool Locked = false);
public sealed record RoleChangeRequest(
    [property: Required, Vocabulary(typeof(Roles), nameof(Roles.All))] string? Role,
    [property: Description("Required for operators: the tenant they work for.")] Guid? TenantId);

/// <summary>Platform admins manage roles and create operator accounts; operators see the users of their own tenant.</summary>
public static class UserAdminEndpoints
{
    public static void MapUserAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/v1/manage/users").WithTags("Users").RequireAuthorization(Policies.Operator);
        users.MapGet("/", List);
        users.MapPut("/{id:guid}/role", ChangeRole).RequireAuthorization(Policies.Admin).ExplainForbidden("Only an administrator can change roles.");
        app.MapPost("/api/v1/manage/tenants/{tenantId:guid}/operators", CreateOperator).WithTags("Users")
            .RequireAuthorization(Policies.Admin).ExplainForbidden(OperatorAccounts.OnlyAdminsCreate);
    }

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Created<NewOperator>> CreateOperator(Guid tenantId, OperatorRequest request, ClaimsPrincipal principal,
        OperatorAccounts operators, CancellationToken ct) =>
        TypedResults.Created((string?)null, await operators.CreateAsync(principal, tenantId, request, ct));

    private static Task<Page<UserSummary>> List(ClaimsPrincipal principal, UsersTable table, int? page, int? pageSize, string? sort, string? dir,
        string? role, string? q, bool? twoFactor, bool? locked, Guid? tenantId, CancellationToken ct)
    {
        new Validation().MaxLength(q, "q", 100).ThrowIfInvalid();
        return table.PageAsync(principal, TableRequest.From(page, pageSize, sort, dir, q).With("tenantId", tenantId).With("role", role)
            .With("twoFactor", twoFactor).With("locked", locked), ct);
    }

    private static Task<UserSummary> ChangeRole(Guid id, RoleChangeRequest request, ClaimsPrincipal principal, UserRoles roles, CancellationToken ct) =>
        roles.ChangeRoleAsync(principal, id, request, ct);
}
