using System.Security.Claims;
using System.Threading.Channels;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>The <see cref="IOperatorAlerts"/> contract over the alerts table, the lifecycle and the live feed.</summary>
public sealed class OperatorAlerts(AlertsTable table, AlertStore store, AlertFeed feed) : IOperatorAlerts
{
    public DataTable<AlertView, AlertView> Table => table;

    public Task<Guid> ReportAsync(Guid tenantId, Guid lotId, string title, string detail, CancellationToken ct) =>
        store.ReportAsync(new AlertCondition(tenantId, lotId, AlertKinds.DriverReport, Guid.CreateVersion7().ToString(), "warning", title, detail), ct);

    public Task<AlertView> AcknowledgeAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct) => store.AcknowledgeAsync(principal, id, ct);

    public Task<AlertView> ResolveAsync(ClaimsPrincipal principal, Guid id, AlertResolution? resolution, CancellationToken ct) =>
        store.ResolveAsync(principal, id, resolution, ct);

    public ChannelReader<Guid?> Subscribe(CancellationToken ct) => feed.Subscribe(ct);

    public Task<IReadOnlyList<AlertActivity>> ActivityAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        store.ActivityAsync(tenantId, from, to, ct);
}
