using System.Text.RegularExpressions;

namespace SmartParking.Server.Modules.Lots;

/// <summary>Licence plates as drivers type them and as enforcement looks them up: kept upper-case without spaces or dashes.</summary>
public static partial class Plates
{
    public const string Rule = "1-16 letters, digits, spaces or dashes";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9 \-]{0,15}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string? plate) => plate is not null && Pattern().IsMatch(plate.Trim());

    public static string? Normalise(string? plate) => plate is null ? null : Regex.Replace(plate.Trim().ToUpperInvariant(), @"[\s\-]+", "");
}
