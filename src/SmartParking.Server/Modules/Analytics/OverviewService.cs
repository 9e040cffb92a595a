using System.Globalization;
using System.Security.Claims;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Sensors.Registry;
using SmartParking.Server.Platform.Tables;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Analytics;

/// <summary>
/// The operator's live overview: each lot's occupancy now from the in-memory availability model (no database read),
/// and what needs attention — offline sensors, low batteries, lots nearly full.
/// </summary>
public sealed class OverviewService(AvailabilityModel availability, SensorsTable sensors, LotCatalog lotCatalog, TimeProvider time)
{
    /// <summary>A lot at or above this occupied share of its spaces in service raises a lot_full alert.</summary>
    public const double FullThreshold = 0.95;

    /// <summary>At most this many sensor alerts of each kind are listed; the counts cover all of them.</summary>
    public const int MaxSensorAlerts = 50;

    public async Task<Overview> GetAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var lots = availability.LotsOf(user.TenantScope()).Select(l => new LotNow(l.LotId, l.Name, l.Counts, Occupancy(l.Counts), l.PricePerHour, l.Currency, l.UpdatedAt)).ToList();
        var offline = await sensors.PageAsync(user, new TableRequest { PageSize = MaxSensorAlerts }.With("offline", true), ct);
        var lowBattery = await sensors.PageAsync(user, new TableRequest { PageSize = MaxSensorAlerts, Sort = "batteryPercent" }.With("lowBattery", true), ct);

        var alerts = new List<Alert>();
        foreach (var lot in lots.Where(l => l.Occupancy >= FullThreshold))
            alerts.Add(new Alert("lot_full", lot.Occupancy >= 1 ? "critical" : "warning",
                $"{lot.Name} is {lot.Occupancy!.Value.ToString("P0", CultureInfo.InvariantCulture)} full.", lot.LotId, null));
        foreach (var s in offline.Items)
        {
            // When it was last heard, as the lot's staff read the time; a sensor on no lot reads in UTC.
            var zone = s.LotId is { } lotId ? await lotCatalog.TimeZoneOfAsync(lotId, ct) : "UTC";
            var since = s.LastSeenAt is { } seen ? $"has been silent since {LocalTimes.Format(seen, zone)}" : "has never reported";
            alerts.Add(new Alert("sensor_offline", "warning", $"Sensor {s.Serial}{(s.SpaceLabel is null ? "" : $" (space {s.SpaceLabel})")} {since}.", s.LotId, s.Id));
        }
        foreach (var s in lowBattery.Items)
            alerts.Add(new Alert("low_battery", s.BatteryPercent <= 5 ? "critical" : "warning", $"Sensor {s.Serial} battery at {s.BatteryPercent} %.", s.LotId, s.Id));
        return new Overview(time.GetUtcNow(), lots, (int)offline.Total, (int)lowBattery.Total, alerts);
    }

    /// <summary>Occupied (or reserved) share of the spaces in service, the same measure pricing uses; null with no sensor state.</summary>
    public static double? Occupancy(Counts c)
    {
        var inService = c.Free + c.Occupied + c.Reserved;
        return inService == 0 ? null : Math.Round((double)(c.Occupied + c.Reserved) / inService, 4);
    }
}
