namespace SmartParking.Server.Modules.Analytics.History;

/// <summary>
/// File text repeated in a report (lot names, column names, messages quoting a value): control characters, which
/// jsonb refuses (NUL) or a page shows badly, become U+FFFD, and length is bounded.
/// </summary>
internal static class Printable
{
    public static string Text(string text, int maxLength)
    {
        var cut = text.Length > maxLength ? text[..maxLength] + "…" : text;
        return cut.Any(char.IsControl) ? string.Concat(cut.Select(c => char.IsControl(c) ? '\uFFFD' : c)) : cut;
    }
}
