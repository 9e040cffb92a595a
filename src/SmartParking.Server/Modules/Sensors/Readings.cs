namespace SmartParking.Server.Modules.Sensors;

/// <summary>Stored as smallint; the numbers are part of the schema.</summary>
public enum SpaceStatus : short
{
    Free = 0,
    Occupied = 1,
    Unknown = 2,
    Closed = 3,
}

public enum ReadingSource : short
{
    Mqtt = 0,
    Http = 1,
    NgsiLd = 2,
    NgsiV2 = 3,
}

public static class SpaceStatuses
{
    /// <summary>The names a reading's status is given by; <see cref="TryParse"/> also reads common sensor spellings of them.</summary>
    public static readonly string[] Names = ["free", "occupied", "closed", "unknown"];

    /// <summary>FIWARE ParkingSpot vocabulary (free | occupied | closed | unknown) plus common sensor spellings.</summary>
    public static bool TryParse(string? value, out SpaceStatus status)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "free" or "vacant" or "available" or "0" or "false": status = SpaceStatus.Free; return true;
            case "occupied" or "taken" or "1" or "true": status = SpaceStatus.Occupied; return true;
            case "closed" or "outofservice" or "out_of_service": status = SpaceStatus.Closed; return true;
            case "unknown": status = SpaceStatus.Unknown; return true;
            default: status = SpaceStatus.Unknown; return false;
        }
    }

    public static string Name(this SpaceStatus status) => status switch
    {
        SpaceStatus.Free => "free",
        SpaceStatus.Occupied => "occupied",
        SpaceStatus.Closed => "closed",
        _ => "unknown",
    };
}

/// <summary>A reading bound for a space, after the sensor or FIWARE id has been resolved.</summary>
public readonly record struct Reading(
    Guid SpaceId, Guid? SensorId, Guid TenantId, Guid LotId, SpaceStatus Status, DateTimeOffset ObservedAt, DateTimeOffset ReceivedAt, ReadingSource Source);

/// <summary>Battery, signal and firmware a device reports between readings.</summary>
public readonly record struct Heartbeat(Guid SensorId, DateTimeOffset ReceivedAt, short? BatteryPercent, short? SignalDbm, string? Firmware);

public enum IngestOutcome
{
    /// <summary>Durably stored.</summary>
    Accepted,
    /// <summary>Exactly the same as a reading already stored; dropped, which is what a retry wants.</summary>
    Duplicate,
    /// <summary>The platform is shutting down or cannot write; retry later.</summary>
    Unavailable,
    /// <summary>The database refused it for good (a value it cannot store); sending it again will not help.</summary>
    Rejected,
}
