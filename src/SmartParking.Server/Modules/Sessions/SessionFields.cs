using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Sessions;

/// <summary>
/// A session's plate is kept sealed at rest; enforcement and the one-running-session-per-plate index use its blind index
/// (plates are stored normalised).
/// </summary>
internal static class SessionFields
{
    public static readonly FieldScope Plate = new("meter_sessions", "plate");

    public static byte[] PlateIndex(FieldProtector protector, string normalisedPlate) => protector.BlindIndex(normalisedPlate, Plate);

    public static void AddSessionFieldEncryption(this IServiceCollection services) =>
        services.AddProtectedColumn(new ProtectedColumn(Plate, "plate", "plate_encrypted", "plate_index", p => Plates.Normalise(p)!,
            ClearNotPersonalSql: PlatePseudonyms.IsPseudonymSql("plate")));
}
