using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace SmartParking.Server.Modules.Sensors;

/// <summary>
/// Per-sensor secrets (and gateway keys). They are 256-bit random values, so a single SHA-256 is enough to store them
/// (no slow password hash needed) and verification stays cheap on the ingest path; see SensorDirectory.VerifyAsync.
/// </summary>
public static class DeviceCredentials
{
    public static string NewSecret() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
