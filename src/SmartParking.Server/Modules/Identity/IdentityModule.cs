using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Identity.Audit;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Modules.Identity.SignIn;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Identity;

public static class Policies
{
    /// <summary>Any signed-in user.</summary>
    public const string Driver = "driver";
    /// <summary>Operators and admins who signed in with their second factor.</summary>
    public const string Operator = "operator";
    public const string Admin = "admin";
}

public static class IdentityModule
{
    public static void AddIdentityModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddTable<UsersTable>();
        builder.Services.AddTable<AuditTable>();
        builder.Services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection(AuthOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();

        builder.Services.AddIdentityCore<AppUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                // The e-mail address is the user name and is validated as an address; the default user-name
                // alphabet would refuse valid addresses such as o'brien@example.com.
                o.User.AllowedUserNameCharacters = "";
                o.Password.RequiredLength = auth.MinPasswordLength;
                o.Password.RequireDigit = true;
                o.Password.RequireLowercase = true;
                o.Password.RequireUppercase = true;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredUniqueChars = 5;
                // Failed sign-ins are throttled by SignInThrottle, never answered with Identity's lock (which let
                // anyone lock any account, and told which addresses have one).
            })
            .AddUserStore<DapperUserStore>()
            // Replaces Identity's AuthenticatorTokenProvider (±2 steps, the same code any number of times).
            .AddTokenProvider<OneTimeAuthenticatorCodes>(TokenOptions.DefaultAuthenticatorProvider);

        builder.Services.AddSingleton<SigningKeys>();
        builder.Services.AddSingleton<IAccountContacts, AccountContacts>();
        builder.Services.AddSingleton<IAccountDirectory, AccountDirectory>();
        builder.Services.AddSingleton<IPersonalDataHolder, IdentityPersonalData>();
        builder.Services.AddUserFieldEncryption();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddAuditFieldEncryption();
        builder.Services.AddSingleton<TokenService>();
        builder.Services.AddSingleton<SignInThrottle>();
        builder.Services.AddSingleton<IScheduledJob, SignInThrottlePurge>();
        builder.Services.AddSingleton<SignInFailures>();
        builder.Services.AddSingleton<IRetentionRule, SignInFailureRetention>();
        builder.Services.AddSingleton<IRetentionRule, AuditLogRetention>();
        builder.Services.AddScoped<PasswordSignIn>();
        builder.Services.AddScoped<UserRoles>();
        builder.Services.AddScoped<OperatorAccounts>();
        builder.Services.AddHostedService<FirstAdmin>();
        builder.Services.AddScoped<DriverSignUp>();
        builder.Services.AddScoped<TwoFactorEnrolment>();
        builder.Services.AddBearerOrCookie().AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.RequireHttpsMetadata = false;
        });
        // The signing key may live in the database, so validation parameters are resolved from services.
        builder.Services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, JwtFromTokenService>();

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Driver, p => p.RequireAuthenticatedUser())
            .AddPolicy(Policies.Operator, p => p.RequireClaim(AppClaims.Role, Roles.Operator, Roles.Admin).RequireClaim(AppClaims.Mfa, "true"))
            .AddPolicy(Policies.Admin, p => p.RequireClaim(AppClaims.Role, Roles.Admin).RequireClaim(AppClaims.Mfa, "true"));
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuthorizationProblems>();
    }

    public static void MapIdentityEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapAuthEndpoints();
        app.MapUserAdminEndpoints();
        app.MapAuditEndpoints();
        app.MapWebSignOut();
    }

    private sealed class JwtFromTokenService(IServiceProvider services) : IPostConfigureOptions<JwtBearerOptions>
    {
        public void PostConfigure(string? name, JwtBearerOptions options) =>
            options.TokenValidationParameters = services.GetRequiredService<TokenService>().ValidationParameters();
    }
}
