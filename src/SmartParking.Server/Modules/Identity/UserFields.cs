using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Identity;

/// <summary>The personal fields of <c>users</c> kept sealed at rest, and how the e-mail address is normalised for its blind index.</summary>
internal static class UserFields
{
    public static readonly FieldScope Email = new("users", "email");
    public static readonly FieldScope AuthenticatorKey = new("users", "authenticator_key");

    /// <summary>As Identity's lookup normaliser does it, so a sign-in's normalised address finds the index the store wrote.</summary>
    public static string NormaliseEmail(string email) => email.Normalize().ToUpperInvariant();

    public static void AddUserFieldEncryption(this IServiceCollection services)
    {
        services.AddProtectedColumn(new ProtectedColumn(Email, "email", "email_encrypted", "email_index", NormaliseEmail, AlsoEmptied: ["normalized_email"]));
        services.AddProtectedColumn(new ProtectedColumn(AuthenticatorKey, "authenticator_key", "authenticator_key_encrypted"));
    }
}
