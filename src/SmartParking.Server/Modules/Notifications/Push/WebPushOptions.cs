using System.Buffers.Text;

namespace SmartParking.Server.Modules.Notifications.Push;

/// <summary>Web Push settings (section <c>Notifications:WebPush</c>).</summary>
public sealed class WebPushOptions
{
    public const string Section = "Notifications:WebPush";

    /// <summary>
    /// Who push services may contact about this server's messages (mailto: or https:); required by VAPID, so Web Push
    /// is off until it is set.
    /// </summary>
    public string? Subject { get; set; }

    /// <summary>The VAPID key pair (base64url: the 65-byte uncompressed P-256 point, the 32-byte private scalar); left out, one is made and kept in the database.</summary>
    public string? PublicKey { get; set; }
    public string? PrivateKey { get; set; }

    /// <summary>How long a push service keeps a message for a device that is offline.</summary>
    public int TimeToLiveSeconds { get; set; } = 24 * 3600;

    /// <summary>Accept http and private-network subscription endpoints: only for a local push service in tests.</summary>
    public bool AllowInsecureEndpoints { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Subject);

    public static bool SubjectIsValid(string? subject) =>
        string.IsNullOrWhiteSpace(subject) || subject.StartsWith("mailto:", StringComparison.Ordinal) ||
        (Uri.TryCreate(subject, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps);

    public bool KeysAreValid() =>
        (PublicKey is null && PrivateKey is null) || (DecodedLength(PublicKey) == 65 && DecodedLength(PrivateKey) == 32);

    private static int DecodedLength(string? value) => value is not null && Base64Url.IsValid(value, out var length) ? length : -1;
}
