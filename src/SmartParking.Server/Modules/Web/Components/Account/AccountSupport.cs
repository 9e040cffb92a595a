using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Web.Components.Account;

public static class AccountLinks
{
    public static string Login(string? returnUrl) => WithReturn(WebCookie.LoginPath, returnUrl);
    public static string Register(string? returnUrl) => WithReturn("/account/register", returnUrl);

    /// <summary>Only a path on this site: an absolute or protocol-relative address would make sign-in an open redirect.</summary>
    public static string SafeReturn(string? returnUrl, string fallback) =>
        returnUrl is { Length: > 1 } url && url[0] == '/' && url[1] is not '/' and not '\\' && Uri.IsWellFormedUriString(url, UriKind.Relative) ? url : fallback;

    private static string WithReturn(string path, string? returnUrl) =>
        returnUrl is null ? path : $"{path}?returnUrl={Uri.EscapeDataString(SafeReturn(returnUrl, "/"))}";
}

/// <summary>The sign-in failures a person can act on, in words for the page (the API gives the same as Problem Details).</summary>
public static class AccountErrors
{
    public static string? Describe(Exception e) => e switch
    {
        UnauthorizedException { Type: PasswordSignIn.MfaRequiredType } => "This account uses two-factor sign-in: enter the code from your authenticator app.",
        UnauthorizedException u => u.Message,
        ValidationException => "That authenticator code is not valid. Check the time on your phone and try the newest code.",
        TooManyRequestsException t => $"{t.Message} Try again in {Wait(t.RetryAfter)}.",
        _ => null,
    };

    private static string Wait(TimeSpan wait) => wait <= TimeSpan.FromSeconds(90)
        ? $"{Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} seconds"
        : $"{(int)Math.Ceiling(wait.TotalMinutes)} minutes";

    public static string FieldName(string field) => field switch
    {
        "email" => "E-mail",
        "password" => "Password",
        "displayName" => "Name",
        _ => "",
    };
}
