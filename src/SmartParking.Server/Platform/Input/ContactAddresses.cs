using System.Net;
using System.Text.RegularExpressions;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Platform.Input;

/// <summary>
/// Checks of the addresses messages go to (e-mail, phone, webhook URL), one way everywhere, each failing with a
/// <see cref="ValidationException"/> that names the field and says what a valid value looks like.
/// </summary>
public static partial class ContactAddresses
{
    public const int MaxEmailLength = 254;
    public const int MaxUrlLength = 2000;

    /// <summary>An addr-spec a mail client accepts: one @, a dotted domain, no spaces or display names.</summary>
    public static string Email(string? value, string field)
    {
        var email = value?.Trim() ?? "";
        if (email.Length is 0 or > MaxEmailLength || !EmailPattern().IsMatch(email))
            throw new ValidationException(field, "Give an e-mail address like name@example.org.");
        return email;
    }

    /// <summary>E.164: a plus, a country code and up to 15 digits in all; spaces, dots, dashes and brackets are dropped.</summary>
    public static string Phone(string? value, string field)
    {
        var phone = PhoneSeparators().Replace(value?.Trim() ?? "", "");
        if (!PhonePattern().IsMatch(phone))
            throw new ValidationException(field, "Give a phone number in international form, with + and the country code, e.g. +4512345678.");
        return phone;
    }

    /// <summary>
    /// An absolute https URL (http only when allowInsecure, for local development), without credentials, whose host is
    /// a name or a public address: webhooks must not be aimed at the platform's own network.
    /// </summary>
    public static Uri WebhookUrl(string? value, string field, bool allowInsecure = false, bool allowPrivateHosts = false)
    {
        var text = value?.Trim() ?? "";
        if (text.Length is 0 or > MaxUrlLength || !Uri.TryCreate(text, UriKind.Absolute, out var uri))
            throw new ValidationException(field, "Give an absolute URL like https://example.org/hooks/parking.");
        if (uri.Scheme != Uri.UriSchemeHttps && !(allowInsecure && uri.Scheme == Uri.UriSchemeHttp))
            throw new ValidationException(field, allowInsecure ? "The URL must use http or https." : "The URL must use https.");
        if (uri.UserInfo.Length > 0)
            throw new ValidationException(field, "The URL must not carry a user name or password; the platform signs each request instead.");
        if (!allowPrivateHosts && IsPrivate(uri))
            throw new ValidationException(field, "The URL must point at a public host, not a loopback, link-local or private address.");
        return uri;
    }

    private static bool IsPrivate(Uri uri)
    {
        if (uri.IsLoopback || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(uri.DnsSafeHost, out var ip) && IsPrivate(ip);
    }

    /// <summary>Loopback, link-local, private, carrier-grade NAT or unspecified: where a host name must not lead a webhook either.</summary>
    public static bool IsPrivate(IPAddress ip)
    {
        if (IPAddress.IsLoopback(ip)) return true;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            return ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal || IPAddress.IPv6Any.Equals(ip);
        var b = ip.GetAddressBytes();
        return b[0] is 10 or 127 or 0 || (b[0] == 169 && b[1] == 254) || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168)
               || (b[0] == 100 && b[1] is >= 64 and <= 127);
    }

    [GeneratedRegex(@"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"[\s().\-]")]
    private static partial Regex PhoneSeparators();
}
