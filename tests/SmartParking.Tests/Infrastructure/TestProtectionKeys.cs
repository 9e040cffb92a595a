using System.Security.Cryptography;

namespace SmartParking.Tests.Infrastructure;

/// <summary>
/// Field-encryption keys for servers started as Production processes, which refuse to start without them. Made fresh
/// for each test run (never stored), and the same for every node of the run, so nodes sharing a database agree.
/// </summary>
public static class TestProtectionKeys
{
    public static readonly string Key1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    public static readonly string IndexKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>As environment variables: key version 1, active.</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["Protection__Keys__1"] = Key1,
        ["Protection__ActiveKey"] = "1",
        ["Protection__IndexKey"] = IndexKey,
    };
}
