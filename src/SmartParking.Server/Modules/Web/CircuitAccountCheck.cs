using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using SmartParking.Server.Modules.Identity;

namespace SmartParking.Server.Modules.Web;

/// <summary>
/// An open page's circuit can outlive the request that signed it in by hours; every minute it checks the account is
/// still what it was (not locked, demoted, moved to another tenant or given a new password), and signs out if not.
/// </summary>
public sealed class CircuitAccountCheck(ILoggerFactory loggers, IServiceScopeFactory scopes) : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancellationToken)
    {
        if (state.User.Identity?.IsAuthenticated != true) return true;
        await using var scope = scopes.CreateAsyncScope();
        return await AccountCheck.StillValidAsync(scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>(), state.User);
    }
}
