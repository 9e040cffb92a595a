using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Identity;

public sealed class AuthOptions
{
    public const string Section = "Auth";

    [Required] public string Issuer { get; set; } = "smartparking";
    [Required] public string Audience { get; set; } = "smartparking-api";

    /// <summary>HMAC key (≥ 32 bytes, base64). When empty, one is generated once and kept in the database so replicas agree.</summary>
    public string? SigningKey { get; set; }

    [Range(1, 1440)] public int AccessTokenMinutes { get; set; } = 15;
    [Range(1, 365)] public int RefreshTokenDays { get; set; } = 14;
    [Range(1, 100)] public int MaxFailedAttempts { get; set; } = 5;
    [Range(1, 1440)] public int LockoutMinutes { get; set; } = 15;
    [Range(8, 128)] public int MinPasswordLength { get; set; } = 10;
}
