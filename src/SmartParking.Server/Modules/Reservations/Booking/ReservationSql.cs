using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Reservations.Booking;

/// <summary>How a <see cref="ReservationRow"/> is read: the reservation with its space's label and zone.</summary>
public static class ReservationSql
{
    /// <summary>Reservations aliased r, each with its space aliased s.</summary>
    public static readonly string From = $"from reservations r {LotsSql.SpaceJoin("r.space_id", "s")}";

    public static readonly string Select = $"""
        select r.id, r.tenant_id, r.lot_id, r.space_id, s.label as space_label, s.zone_id, r.driver_id, r.space_type, r.plate, r.plate_encrypted,
               lower(r.during) as start, upper(r.during) as "end", r.status, r.price, r.currency, r.hold_expires_at,
               r.checked_in_at, r.checked_out_at, r.cancelled_at, r.no_show_fee_charged, r.overstay_minutes_charged,
               r.overstay_minutes_billing, r.created_at
        {From}
        """;
}
