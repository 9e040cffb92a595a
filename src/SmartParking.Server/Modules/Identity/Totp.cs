namespace SmartParking.Server.Modules.Identity;

public static class Totp
{
    public const string Issuer = "SmartParking";

    /// <summary>The otpauth:// URI authenticator apps read from a QR code (Google Authenticator key URI format).</summary>
    public static string AuthenticatorUri(string email, string sharedKey) =>
        $"otpauth://totp/{Uri.EscapeDataString(Issuer)}:{Uri.EscapeDataString(email)}?secret={sharedKey}&issuer={Uri.EscapeDataString(Issuer)}&digits=6&period=30";
}
