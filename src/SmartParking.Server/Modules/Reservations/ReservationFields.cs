using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>The plate of a reservation is kept sealed at rest and found by its blind index (plates are stored normalised).</summary>
internal static class ReservationFields
{
    public static readonly FieldScope Plate = new("reservations", "plate");

    public static byte[]? PlateIndex(FieldProtector protector, string? normalisedPlate) =>
        normalisedPlate is null ? null : protector.BlindIndex(normalisedPlate, Plate);

    public static void AddReservationFieldEncryption(this IServiceCollection services) =>
        services.AddProtectedColumn(new ProtectedColumn(Plate, "plate", "plate_encrypted", "plate_index", p => Plates.Normalise(p)!,
            ClearNotPersonalSql: PlatePseudonyms.IsPseudonymSql("plate")));
}
