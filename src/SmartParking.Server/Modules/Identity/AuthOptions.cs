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

    // Failed sign-ins (a wrong password, an unknown e-mail address, a wrong code) are throttled, never answered with a
    // lock: past a count, each further failure makes the next attempt of that kind wait, twice as long each time.

    /// <summary>Failures of one account from one client address before its attempts from there wait.</summary>
    [Range(1, 1000)] public int SignInFailuresPerAccountAndAddress { get; set; } = 5;

    /// <summary>Failures of one account from anywhere before its attempts wait (not from an address it signed in from lately).</summary>
    [Range(1, 100_000)] public int SignInFailuresPerAccount { get; set; } = 20;

    /// <summary>Failures from one client address, whatever the accounts, before its attempts wait.</summary>
    [Range(1, 1_000_000)] public int SignInFailuresPerAddress { get; set; } = 50;

    /// <summary>The first wait once a count is reached; each further failure doubles it.</summary>
    [Range(1, 3600)] public int SignInDelaySeconds { get; set; } = 2;

    /// <summary>The longest wait for an account from one address, and for an address.</summary>
    [Range(1, 86_400)] public int SignInMaxDelaySeconds { get; set; } = 300;

    /// <summary>The longest wait for an account as a whole: short, so guessing from elsewhere cannot keep its owner out for long.</summary>
    [Range(1, 86_400)] public int SignInAccountMaxDelaySeconds { get; set; } = 60;

    /// <summary>Failures are forgotten this long after the last one.</summary>
    [Range(1, 10_080)] public int SignInFailuresForgottenAfterMinutes { get; set; } = 15;

    /// <summary>How long an address an account signed in from is spared the account-wide wait.</summary>
    [Range(0, 365)] public int SignInKnownAddressDays { get; set; } = 30;

    [Range(8, 128)] public int MinPasswordLength { get; set; } = 10;

    /// <summary>On a start that finds no administrator, make one and print its sign-in once (a new install's way in).</summary>
    public bool CreateFirstAdmin { get; set; } = true;

    /// <summary>The e-mail address of that first administrator.</summary>
    [Required, EmailAddress] public string FirstAdminEmail { get; set; } = "admin@smartparking.local";
}
