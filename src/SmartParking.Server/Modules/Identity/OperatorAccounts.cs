using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Identity;

public sealed record OperatorRequest(string? Email, string? DisplayName);

/// <summary>A new operator account and its initial password, which is shown this once and stored only as a hash.</summary>
public sealed record NewOperator(UserSummary User, string InitialPassword);

/// <summary>
/// Operator accounts made by a platform admin for a tenant (a new city's first operator among them). The operator signs in
/// with the initial password and is then asked to set up two-factor sign-in before the dashboard opens.
/// </summary>
public sealed class OperatorAccounts(UserManager<AppUser> users, ITenants tenants, NpgsqlDataSource db, AuditLog audit, IOptions<AuthOptions> options)
{
    public const string OnlyAdminsCreate = "Only an administrator can create operator accounts; ask your platform administrator to add one for your tenant.";

    /// <summary>Adds the request's field errors to <paramref name="v"/> under the given names, so a larger form reports everything at once.</summary>
    public static Validation Validate(Validation v, OperatorRequest request, string emailField = "email", string displayNameField = "displayName")
    {
        v.Required(request.Email, emailField, 254).MaxLength(request.DisplayName, displayNameField, 100);
        if (request.Email is { Length: > 0 and <= 254 } email && !DriverSignUp.IsEmail(email)) v.Add(emailField, "is not a valid e-mail address.");
        return v;
    }

    public async Task<bool> EmailTakenAsync(string email) => await users.FindByEmailAsync(email.Trim()) is not null;

    public async Task<NewOperator> CreateAsync(ClaimsPrincipal principal, Guid tenantId, OperatorRequest request, CancellationToken ct)
    {
        // The endpoint's policy says the same; a dashboard page has no endpoint policy in front of it.
        if (!principal.IsAdmin()) throw new ForbiddenException(OnlyAdminsCreate);
        Validate(new Validation(), request).ThrowIfInvalid();
        if (!await tenants.ExistsAsync(tenantId, ct)) throw new NotFoundException("Tenant");
        await using var connection = await db.OpenConnectionAsync(ct);

        var password = InitialPasswords.New(options.Value.MinPasswordLength);
        var user = new AppUser
        {
            Id = Guid.CreateVersion7(),
            Email = request.Email!.Trim(),
            DisplayName = string.IsNullOrWhiteSpace(request.DisplayName) ? null : request.DisplayName.Trim(),
            Role = Roles.Operator,
            TenantId = tenantId,
        };
        AuthEndpoints.ThrowIfFailed(await users.CreateAsync(user, password));
        await audit.RecordAsync(connection, null, principal, tenantId, "operator.created", "user", user.Id, new { user.Email, user.DisplayName, user.TenantId }, ct);
        return new NewOperator(new UserSummary(user.Id, user.Email, user.DisplayName, user.Role, user.TenantId, user.TwoFactorEnabled, user.CreatedAt), password);
    }
}
