using System.Security.Claims;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Admin;

public sealed record TenantSetupRequest(string? Name, string? Slug, string? TimeZone, string? Currency, string? OperatorEmail, string? OperatorDisplayName);

public sealed record TenantSetupResult(Tenant Tenant, NewOperator Operator);

/// <summary>
/// The dashboard's "new tenant" form: a tenant and its first operator account in one step. Both are checked before
/// either is made, so a mistake in one leaves no half-made tenant behind.
/// </summary>
public sealed class TenantSetup(TenantDirectory tenants, OperatorAccounts operators)
{
    public async Task<TenantSetupResult> CreateAsync(ClaimsPrincipal principal, TenantSetupRequest request, CancellationToken ct)
    {
        if (!principal.IsAdmin()) throw new ForbiddenException(TenantDirectory.OnlyAdminsCreate);
        var tenant = new TenantRequest(request.Name, request.Slug, request.TimeZone, request.Currency);
        var firstOperator = new OperatorRequest(request.OperatorEmail, request.OperatorDisplayName);
        var v = OperatorAccounts.Validate(TenantDirectory.Validate(new Validation(), tenant), firstOperator, "operatorEmail", "operatorDisplayName");
        if (v.IsValid && await operators.EmailTakenAsync(request.OperatorEmail!)) v.Add("operatorEmail", "belongs to an existing account.");
        v.ThrowIfInvalid();
        var created = await tenants.CreateAsync(principal, tenant, ct);
        return new TenantSetupResult(created, await operators.CreateAsync(principal, created.Id, firstOperator, ct));
    }
}
