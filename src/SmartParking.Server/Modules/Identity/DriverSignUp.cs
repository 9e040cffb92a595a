using System.Net.Mail;
using Microsoft.AspNetCore.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Identity;

/// <summary>Creating a driver account, for the API's register call and the web sign-up page alike.</summary>
public sealed class DriverSignUp(UserManager<AppUser> users)
{
    public async Task<AppUser> RegisterAsync(string? email, string? password, string? displayName)
    {
        var v = new Validation().Required(email, "email", 254).Required(password, "password", 128).MaxLength(displayName, "displayName", 100);
        if (email is { Length: > 0 } && !IsEmail(email)) v.Add("email", "is not a valid e-mail address.");
        v.ThrowIfInvalid();

        var user = new AppUser { Id = Guid.CreateVersion7(), Email = email!.Trim(), DisplayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName.Trim(), Role = Roles.Driver };
        AuthEndpoints.ThrowIfFailed(await users.CreateAsync(user, password!));
        return user;
    }

    internal static bool IsEmail(string value) =>
        MailAddress.TryCreate(value.Trim(), out var address) && address.Address == value.Trim() && value.Contains('.', StringComparison.Ordinal);
}
