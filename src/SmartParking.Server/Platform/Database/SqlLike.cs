namespace SmartParking.Server.Platform.Database;

public static class SqlLike
{
    /// <summary>
    /// Escapes LIKE/ILIKE wildcards so a search term matches literally: without it "100%" or "a_b" act as patterns.
    /// PostgreSQL's default LIKE escape character is the backslash.
    /// </summary>
    public static string? Literal(string? value) =>
        value?.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
}
