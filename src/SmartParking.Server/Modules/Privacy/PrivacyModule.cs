using SmartParking.Server.Modules.Privacy.Consent;
using SmartParking.Server.Modules.Privacy.Rights;

namespace SmartParking.Server.Modules.Privacy;

/// <summary>
/// Data subjects' rights and consent (issue 17). Each part registers itself with its own method, called from Program.cs;
/// the modules that hold personal data register their <see cref="IPersonalDataHolder"/> in their own module.
/// </summary>
public static class PrivacyModule
{
    public static void AddPrivacyRights(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PrivacyOptions>().Bind(builder.Configuration.GetSection(PrivacyOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ConsentStore>();
        builder.Services.AddSingleton<IConsents>(sp => sp.GetRequiredService<ConsentStore>());
        builder.Services.AddSingleton<IPersonalDataHolder, ConsentPersonalData>();
        builder.Services.AddSingleton<AccountRights>();
        builder.Services.AddSingleton<InactiveAccounts>();
        if (builder.Configuration.GetValue(PrivacyOptions.Section + ":" + nameof(PrivacyOptions.EraseInactiveAccounts), true))
            builder.Services.AddSingleton<IRetentionRule>(sp => sp.GetRequiredService<InactiveAccounts>());
    }

    public static void MapPrivacyRightsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapRightsEndpoints();
        app.MapConsentEndpoints();
    }
}
