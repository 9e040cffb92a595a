namespace SmartParking.Server.Modules.Identity;

public static class Roles
{
    public const string Driver = "driver";
    public const string Operator = "operator";
    public const string Admin = "admin";
    public static readonly string[] All = [Driver, Operator, Admin];
}

/// <summary>A row of <c>users</c>, shaped for ASP.NET Core Identity's UserManager.</summary>
public sealed class AppUser
{
    public Guid Id { get; set; }
    public string Email { get; set; } = "";
    public string NormalizedEmail { get; set; } = "";
    public string? DisplayName { get; set; }
    public string? PasswordHash { get; set; }
    public string SecurityStamp { get; set; } = "";
    public string ConcurrencyStamp { get; set; } = Guid.NewGuid().ToString();
    public string Role { get; set; } = Roles.Driver;
    public Guid? TenantId { get; set; }
    public bool LockoutEnabled { get; set; } = true;
    public DateTimeOffset? LockoutEnd { get; set; }
    public int AccessFailedCount { get; set; }
    public bool TwoFactorEnabled { get; set; }
    public string? AuthenticatorKey { get; set; }
    public string? RecoveryCodes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
