using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace SmartParking.Server.Modules.Identity;

/// <summary>What an endpoint's 403 says to a caller without the role it needs, where the role alone says it poorly.</summary>
public sealed record ForbiddenDetail(string Detail);

public static class ForbiddenDetailExtensions
{
    public static TBuilder ExplainForbidden<TBuilder>(this TBuilder builder, string detail) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ForbiddenDetail(detail));
}

/// <summary>
/// A bare 401 or 403 does not tell an API caller what is wrong. Every refusal under /api is Problem Details that says
/// it: how to sign in, that the second factor is missing, or which role the endpoint needs. Pages keep the cookie's
/// redirects to sign-in and "denied".
/// </summary>
internal sealed class AuthorizationProblems : IAuthorizationMiddlewareResultHandler
{
    public const string MfaEnrolmentRequiredType = "urn:smartparking:mfa-enrolment-required";

    private static readonly string[] RolesByPrivilege = [Roles.Driver, Roles.Operator, Roles.Admin];
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Succeeded || !context.Request.Path.StartsWithSegments("/api"))
        {
            await _default.HandleAsync(next, context, policy, result);
            return;
        }
        if (result.Challenged)
        {
            // The scheme's challenge sets the 401 and WWW-Authenticate; the body says what to do about it.
            await _default.HandleAsync(next, context, policy, result);
            await WriteAsync(context, new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Sign-in required",
                Detail = context.Request.Headers.Authorization.Count == 0
                    ? "Sign in (POST /api/v1/auth/login) and send the access token as 'Authorization: Bearer <token>'."
                    : "The access token is expired or not valid; get a new one (POST /api/v1/auth/refresh, or sign in again with POST /api/v1/auth/login).",
            });
            return;
        }

        var user = context.User;
        var role = user.FindFirstValue(AppClaims.Role);
        var allowed = AllowedRoles(policy);
        var requiredRole = allowed is null ? null : RolesByPrivilege.FirstOrDefault(allowed.Contains);
        var problem = new ProblemDetails { Status = StatusCodes.Status403Forbidden, Title = "Forbidden" };
        if (role is Roles.Operator or Roles.Admin && user.FindFirstValue(AppClaims.Mfa) != "true" && RequiresSecondFactor(policy))
        {
            problem.Title = "Two-factor authentication required";
            problem.Type = MfaEnrolmentRequiredType;
            problem.Detail = "Operators and admins must enrol an authenticator app (POST /api/v1/auth/mfa/setup, then /api/v1/auth/mfa/enable) and sign in with it before using the operator API.";
        }
        else if (requiredRole is not null && (role is null || !allowed!.Contains(role)))
        {
            problem.Detail = context.GetEndpoint()?.Metadata.GetMetadata<ForbiddenDetail>()?.Detail ?? (requiredRole == Roles.Admin
                ? $"Only an administrator can do this; this account's role is {role ?? "none"}."
                : $"Only operators and administrators can do this; this account's role is {role ?? "none"}.");
        }
        else
        {
            problem.Detail = "This account may not do this.";
        }
        if (requiredRole is not null) problem.Extensions["requiredRole"] = requiredRole;
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await WriteAsync(context, problem);
    }

    /// <summary>The roles every role requirement of the policy accepts (null: the policy names no role).</summary>
    private static HashSet<string>? AllowedRoles(AuthorizationPolicy policy)
    {
        HashSet<string>? allowed = null;
        foreach (var requirement in policy.Requirements.OfType<ClaimsAuthorizationRequirement>().Where(r => r.ClaimType == AppClaims.Role && r.AllowedValues is not null))
        {
            if (allowed is null) allowed = [.. requirement.AllowedValues!];
            else allowed.IntersectWith(requirement.AllowedValues!);
        }
        return allowed;
    }

    private static bool RequiresSecondFactor(AuthorizationPolicy policy) =>
        policy.Requirements.OfType<ClaimsAuthorizationRequirement>().Any(r => r.ClaimType == AppClaims.Mfa);

    private static ValueTask WriteAsync(HttpContext context, ProblemDetails problem) =>
        context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
}
