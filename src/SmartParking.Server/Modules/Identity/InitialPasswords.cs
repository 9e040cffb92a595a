using System.Security.Cryptography;

namespace SmartParking.Server.Modules.Identity;

/// <summary>Passwords the platform makes for a person and shows once (a new operator, the first administrator).</summary>
internal static class InitialPasswords
{
    // No 0/O, 1/l/I: the password is read off a screen or a log and typed in.
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    /// <summary>At least 20 random characters (more if the policy asks), meeting the password rules (upper, lower, digit, distinct characters).</summary>
    public static string New(int minLength)
    {
        while (true)
        {
            var password = RandomNumberGenerator.GetString(Alphabet, Math.Max(20, minLength));
            if (password.Any(char.IsUpper) && password.Any(char.IsLower) && password.Any(char.IsDigit) && password.Distinct().Count() >= 5) return password;
        }
    }
}
