using System.Security.Claims;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Analytics;

/// <summary>
/// The operator's live overview: each lot's occupancy now from the in-memory availability model (no database read),
/// the sensor counts that need attention, and the alerts still open or acknowledged (the operator alerts module's).
/// </summary>
public sealed class OverviewService(AvailabilityModel availability, IDataTable<Sensor> sensors, IOperatorAlerts alerts, TimeProvider time)
{
    /// <summary>At most this many unresolved alerts are listed, newest first; the count covers all of them.</summary>
    public const int MaxAlerts = 30;

    public async Task<Overview> GetAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var lots = availability.LotsOf(user.TenantScope()).Select(l => new LotNow(l.LotId, l.Name, l.Counts, Occupancy(l.Counts), l.PricePerHour, l.Currency, l.UpdatedAt)).ToList();
        var offline = await sensors.PageAsync(user, new TableRequest { PageSize = 1 }.With("offline", true), ct);
        var lowBattery = await sensors.PageAsync(user, new TableRequest { PageSize = 1 }.With("lowBattery", true), ct);
        var open = await alerts.Table.PageAsync(user, new TableRequest { PageSize = MaxAlerts }.With("status", AlertStatuses.Unresolved), ct);
        return new Overview(time.GetUtcNow(), lots, (int)offline.Total, (int)lowBattery.Total, open.Items, (int)open.Total);
    }

    /// <summary>Occupied (or reserved) share of the spaces in service, the same measure pricing uses; null with no sensor state.</summary>
    public static double? Occupancy(Counts c)
    {
        var inService = c.Free + c.Occupied + c.Reserved;
        return inService == 0 ? null : Math.Round((double)(c.Occupied + c.Reserved) / inService, 4);
    }
}
