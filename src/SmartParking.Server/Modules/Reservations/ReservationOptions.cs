using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Reservations;

public sealed class ReservationOptions
{
    public const string Section = "Reservations";

    /// <summary>How long a booking waits for its payment before the space is released.</summary>
    [Range(1, 86_400)] public int HoldSeconds { get; set; } = 600;

    /// <summary>
    /// How many unpaid (held, not yet expired) reservations one driver may have at once; one more is a 409. Without it
    /// one driver could hold a whole lot, hold after hold. 0 turns the cap off (the booking benchmark's unpaid phase).
    /// </summary>
    [Range(0, 1000)] public int MaxUnpaidHolds { get; set; } = 3;

    /// <summary>How early before its start a reservation may be checked in (by the driver or the space's sensor).</summary>
    [Range(0, 240)] public int CheckInEarlyMinutes { get; set; } = 15;

    /// <summary>How often the background work runs (hold expiry, no-shows, overstay, session expiry).</summary>
    [Range(0.05, 3600)] public double SweepSeconds { get; set; } = 5;

    /// <summary>How long before its start a confirmed reservation's reminder goes out (ReservationStartingSoon).</summary>
    [Range(1, 10_080)] public int ReminderMinutes { get; set; } = 60;

    /// <summary>How long before its end a stay is announced as ending (ReservationEndingSoon), with a way to extend.</summary>
    [Range(1, 1440)] public int EndingSoonMinutes { get; set; } = 15;

    /// <summary>Overstay is charged in steps of this many minutes while the car stays, and the rest at check-out.</summary>
    [Range(1, 1440)] public int OverstayChargeStepMinutes { get; set; } = 15;
}
