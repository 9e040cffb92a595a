using System.Globalization;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>What a rule sees: every lot and each tenant's settings (Guid.Empty: the platform's).</summary>
public sealed record RuleInput(IReadOnlyList<LotFacts> Lots, IReadOnlyDictionary<Guid, AlertSettings> Settings, DateTimeOffset Now)
{
    public AlertSettings For(Guid? tenant) => AlertSettingsStore.For(Settings, tenant);
}

/// <summary>One rule: the alert kinds it decides, and the conditions holding now.</summary>
public sealed record AlertRule(IReadOnlyList<string> Kinds, Func<RuleInput, CancellationToken, Task<IReadOnlyList<AlertCondition>>> Evaluate);

/// <summary>
/// The conditions operators are alerted to, each read through the owning module's public service (never its tables):
/// sensors from the Sensors registry, occupancy from the live availability model, money from the Payments ledger
/// attributed to lots by Reservations and Sessions, and per-node trouble from <see cref="NodeSignals"/>.
/// </summary>
public sealed class AlertRules(ISensorAttention sensors, AvailabilityModel availability, IRevenueReports revenue, IReservationLots reservations, SessionStats sessions,
    NodeSignals nodes)
{
    /// <summary>Sensors named in an alert's detail; the count covers them all.</summary>
    public const int MaxListed = 20;

    /// <summary>Weeks of the same weekday the revenue of today is compared with.</summary>
    public const int RevenueWeeks = 4;

    public IReadOnlyList<AlertRule> All =>
    [
        new([AlertKinds.SensorsOffline, AlertKinds.LowBattery], SensorsAsync),
        new([AlertKinds.LotFull], LotsFull),
        new([AlertKinds.RevenueDrop], RevenueDropAsync),
        new(AlertKinds.Platform, PlatformAsync),
    ];

    /// <summary>A lot with at least its tenant's threshold of offline sensors; a lot with any low battery.</summary>
    public async Task<IReadOnlyList<AlertCondition>> SensorsAsync(RuleInput input, CancellationToken ct)
    {
        var names = input.Lots.ToDictionary(l => l.Id, l => l.Name);
        var conditions = new List<AlertCondition>();
        foreach (var lot in await sensors.AttentionByLotAsync(ct))
        {
            var name = names.GetValueOrDefault(lot.LotId, "a lot");
            var threshold = input.For(lot.TenantId).SensorsOfflineThreshold!.Value;
            if (lot.Offline.Count >= threshold)
                conditions.Add(new AlertCondition(lot.TenantId, lot.LotId, AlertKinds.SensorsOffline, lot.LotId.ToString(),
                    lot.Offline.Count * 2 >= lot.Sensors ? "critical" : "warning",
                    $"{lot.Offline.Count} sensors offline in {name}",
                    $"{lot.Offline.Count} of {lot.Sensors} sensors offline: {List(lot.Offline, s => s.SpaceLabel is null ? s.Serial : $"{s.Serial} (space {s.SpaceLabel})")}."));
            if (lot.LowBattery.Count > 0)
                conditions.Add(new AlertCondition(lot.TenantId, lot.LotId, AlertKinds.LowBattery, lot.LotId.ToString(), "warning",
                    $"{lot.LowBattery.Count} low {(lot.LowBattery.Count == 1 ? "battery" : "batteries")} in {name}",
                    $"{lot.LowBattery.Count} of {lot.Sensors} sensors at or under {lot.LowBatteryPercent} % battery: {List(lot.LowBattery, s => $"{s.Serial} ({s.BatteryPercent} %)")}."));
        }
        return conditions;
    }

    /// <summary>A lot at or above its tenant's full share of the spaces in service, raised once it has stayed there the tenant's set time.</summary>
    public Task<IReadOnlyList<AlertCondition>> LotsFull(RuleInput input, CancellationToken ct)
    {
        var conditions = new List<AlertCondition>();
        foreach (var lot in input.Lots)
        {
            if (availability.Lot(lot.Id)?.Counts is not { } counts) continue;
            var settings = input.For(lot.TenantId);
            var taken = counts.Occupied + counts.Reserved;
            var inService = counts.Free + taken;
            if (inService == 0 || taken * 100 < settings.LotFullPercent!.Value * inService) continue;
            var share = (double)taken / inService;
            conditions.Add(new AlertCondition(lot.TenantId, lot.Id, AlertKinds.LotFull, lot.Id.ToString(), taken == inService ? "critical" : "warning",
                $"{lot.Name} is {share.ToString("P0", CultureInfo.InvariantCulture)} full",
                $"{taken} of {inService} spaces in service are taken ({share.ToString("P0", CultureInfo.InvariantCulture)}); full from {settings.LotFullPercent} % for longer than {settings.LotFullMinutes} min.",
                TimeSpan.FromMinutes(settings.LotFullMinutes!.Value)));
        }
        return Task.FromResult<IReadOnlyList<AlertCondition>>(conditions);
    }

    /// <summary>
    /// A lot whose takings today so far are at least the tenant's percentage below the average of the same weekday of
    /// the last four weeks up to the same local time of day (the lot's time zone, clock changes included). No history
    /// (nothing taken by that time on those days) raises nothing.
    /// </summary>
    public async Task<IReadOnlyList<AlertCondition>> RevenueDropAsync(RuleInput input, CancellationToken ct)
    {
        var conditions = new List<AlertCondition>();
        foreach (var group in input.Lots.GroupBy(l => (l.TenantId, l.TimeZone)))
        {
            var (tenant, timeZone) = group.Key;
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone)) continue;
            var local = TimeZoneInfo.ConvertTime(input.Now, zone);
            var today = DateOnly.FromDateTime(local.DateTime);
            var sinceMidnight = local.TimeOfDay;
            // Week 0 is today; weeks 1..4 the same weekday before, each up to the same wall-clock time.
            var takings = new List<IReadOnlyList<ReferenceRevenue>>();
            for (var week = 0; week <= RevenueWeeks; week++)
            {
                var day = today.AddDays(-7 * week);
                takings.Add(await revenue.ByReferenceAsync(tenant, Instants.AtLocal(day, TimeSpan.Zero, zone), Instants.AtLocal(day, sinceMidnight, zone), ct));
            }
            var references = takings.SelectMany(t => t).ToList();
            var lotOf = new Dictionary<Guid, Guid>(await sessions.LotsOfAsync(references.Where(r => r.Purpose == "session").Select(r => r.ReferenceId).Distinct().ToList(), ct));
            foreach (var (id, lot) in await reservations.LotsOfAsync(references.Where(r => r.Purpose != "session").Select(r => r.ReferenceId).Distinct().ToList(), ct))
                lotOf[id] = lot;
            var settings = input.For(tenant);
            foreach (var lot in group)
            {
                foreach (var currency in references.Where(r => lotOf.GetValueOrDefault(r.ReferenceId) == lot.Id).Select(r => r.Currency).Distinct())
                {
                    var byWeek = takings.Select(t => t.Where(r => r.Currency == currency && lotOf.GetValueOrDefault(r.ReferenceId) == lot.Id).Sum(r => r.Net)).ToList();
                    var average = byWeek.Skip(1).Sum() / RevenueWeeks;
                    if (average <= 0) continue;
                    var drop = (average - byWeek[0]) / average * 100;
                    if (drop < settings.RevenueDropPercent!.Value) continue;
                    var weekday = today.DayOfWeek.ToString();
                    conditions.Add(new AlertCondition(tenant, lot.Id, AlertKinds.RevenueDrop, $"{lot.Id}:{currency}", "warning",
                        $"Revenue in {lot.Name} {drop.ToString("0", CultureInfo.InvariantCulture)} % below a usual {weekday}",
                        string.Create(CultureInfo.InvariantCulture,
                            $"{byWeek[0]:0.00} {currency} today until {sinceMidnight:hh\\:mm} ({timeZone}); the last {RevenueWeeks} {weekday}s took {average:0.00} {currency} on average by then ({string.Join(", ", byWeek.Skip(1).Select(w => w.ToString("0.00", CultureInfo.InvariantCulture)))})."),
                        default));
                }
            }
        }
        return conditions;
    }

    /// <summary>A payment circuit open, or the ingest queue at its bound, on any node that reported lately: administrators' alerts.</summary>
    public async Task<IReadOnlyList<AlertCondition>> PlatformAsync(RuleInput input, CancellationToken ct) =>
        (await nodes.RecentAsync(ct)).GroupBy(s => (s.Signal, s.Subject)).Select(g => g.Key.Signal == AlertKinds.PaymentCircuitOpen
                ? new AlertCondition(null, null, g.Key.Signal, g.Key.Subject, "critical", $"Payment provider {g.Key.Subject} is failing: its circuit is open",
                    $"Open on {g.Count()} {(g.Count() == 1 ? "node" : "nodes")} ({string.Join("; ", g.Select(s => s.Node))}); its payments fail over to another provider or fail.")
                : new AlertCondition(null, null, g.Key.Signal, g.Key.Subject, "critical", "Sensor readings are backing up",
                    $"The ingest queue is at its bound, so new readings are refused: {string.Join("; ", g.Select(s => s.Detail))}."))
            .ToList();

    private static string List(IReadOnlyList<SensorBrief> sensors, Func<SensorBrief, string> text) =>
        string.Join(", ", sensors.Take(MaxListed).Select(text)) + (sensors.Count > MaxListed ? $" and {sensors.Count - MaxListed} more" : "");
}
