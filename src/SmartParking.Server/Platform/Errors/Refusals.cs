namespace SmartParking.Server.Platform.Errors;

/// <summary>
/// The codes of the refusals a driver meets (a problem's <c>code</c>, <see cref="ConflictException.Code"/>): stable
/// names a client words in its own language, as the chat assistant does in Danish, where the message is English.
/// </summary>
public static class Refusals
{
    /// <summary>Another reservation holds the space then (conflictingStart and conflictingEnd when known).</summary>
    public const string SpaceReserved = "space-reserved";

    /// <summary>No space of the type asked for is free for the whole window (rule when parking rules ruled some out).</summary>
    public const string NoSpaceFree = "no-space-free";

    public const string OutOfService = "space-out-of-service";

    /// <summary>The driver has as many unpaid holds as allowed (maxUnpaidHolds).</summary>
    public const string UnpaidHolds = "unpaid-holds";

    public const string HoldExpired = "hold-expired";

    /// <summary>The reservation's status does not allow this (paying, extending, cancelling, checking in or out).</summary>
    public const string WrongStatus = "wrong-status";

    public const string CheckedIn = "checked-in";

    public const string CheckInClosed = "check-in-closed";

    /// <summary>Someone else changed it between reading and writing; the same request may succeed once reloaded.</summary>
    public const string ChangedMeanwhile = "changed-meanwhile";

    /// <summary>The plate already has a running meter session at the lot.</summary>
    public const string SessionRunning = "session-running";

    public const string SessionEnded = "session-ended";
}
