namespace SmartParking.Server.Platform.Protection;

/// <summary>
/// A column of personal data a module keeps sealed, registered for the background sweep: rows still holding clear text
/// in <see cref="ClearColumn"/> (written before encryption, or by a bulk seeder) are sealed into <see cref="SealedColumn"/>,
/// with their blind index when there is one, and the clear columns emptied; values under an older key are re-sealed.
/// The module's store reads the sealed column and falls back to the clear one for rows the sweep has not reached.
/// </summary>
/// <param name="Scope">The table and the field name the sealed value is bound to.</param>
/// <param name="ClearColumn">The former clear-text column (read as text), emptied once sealed; null when the module seals every value itself and the sweep only re-seals.</param>
/// <param name="SealedColumn">The bytea column with the sealed value.</param>
/// <param name="IndexColumn">The bytea blind-index column, for fields looked up by equality.</param>
/// <param name="Normalise">How the clear text is normalised before indexing (the same function the store uses).</param>
/// <param name="AlsoEmptied">Other clear columns derived from the value (a normalised copy), emptied with it.</param>
/// <param name="ClearNotPersonalSql">
/// A condition on the row under which its clear value is no personal data and stays in clear (a retention pseudonym
/// such as "ANON-…", which must stay told apart from a real plate without decrypting).
/// </param>
public sealed record ProtectedColumn(FieldScope Scope, string? ClearColumn, string SealedColumn, string? IndexColumn = null,
    Func<string, string>? Normalise = null, IReadOnlyList<string>? AlsoEmptied = null, string? ClearNotPersonalSql = null);

public static class ProtectedColumnRegistration
{
    /// <summary>Registers a module's sealed column with the sweep.</summary>
    public static IServiceCollection AddProtectedColumn(this IServiceCollection services, ProtectedColumn column) => services.AddSingleton(column);
}
