using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Analytics.DailyReports;

/// <summary>
/// Makes each tenant's report of its previous local day once the tenant's clock passes 06:00 (Hour), stores it and
/// e-mails it to the tenant's operators. Runs in the single-node job round; the (tenant, day) key makes a second node,
/// a second round or a restart find the report made and do nothing. A node that was down at 06:00 makes it on its
/// first round later that day; only yesterday's report is ever made, so a long outage does not end in a flood of old
/// reports. The e-mail is queued under an id made from tenant and day, so queueing again never sends twice.
/// </summary>
public sealed class DailyReportJob(
    TenantDirectory tenants, DailyReportBuilder builder, DailyReportStore store, IAccountContacts accounts, IServiceProvider services,
    IOptions<DailyReportOptions> options, ILogger<DailyReportJob> logger) : IScheduledJob
{
    public string Name => "daily-reports";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled) return;
        // Every zone's "yesterday" is within two days of the UTC date.
        var done = await store.RecentAsync(DateOnly.FromDateTime(now.UtcDateTime).AddDays(-2), ct);
        foreach (var tenant in await tenants.AllAsync(ct))
        {
            var zone = Zone(tenant.TimeZone);
            var local = TimeZoneInfo.ConvertTime(now, zone);
            if (local.TimeOfDay < TimeSpan.FromHours(o.Hour)) continue;
            var day = DateOnly.FromDateTime(local.DateTime).AddDays(-1);
            try
            {
                if (!done.TryGetValue((tenant.Id, day), out var emailedAt))
                {
                    var report = await builder.BuildAsync(tenant, day, zone, now, ct);
                    if (await store.TryAddAsync(report, DailyReportFiles.Summary(report), DailyReportFiles.Pdf(report), DailyReportFiles.Xlsx(report), ct))
                        logger.LogInformation("Daily report of {Date} made for tenant {Tenant}", day, tenant.Id);
                }
                else if (emailedAt is not null) continue;
                await EmailAsync(tenant, day, now, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One tenant's failure must not hold up the others; the missing row or e-mail is retried next round.
                logger.LogError(e, "Daily report of {Date} for tenant {Tenant} failed", day, tenant.Id);
            }
        }
        var deleted = await store.DeleteBeforeAsync(DateOnly.FromDateTime(now.UtcDateTime).AddDays(-o.RetentionDays), ct);
        if (deleted > 0) logger.LogInformation("Deleted {Count} daily reports past their retention", deleted);
    }

    private async Task EmailAsync(Tenant tenant, DateOnly day, DateTimeOffset now, CancellationToken ct)
    {
        // The Notifications module provides the queue; a deployment without it keeps the reports for download only.
        if (services.GetService<INotificationQueue>() is not { } queue) return;
        if (await store.FindAsync(tenant.Id, day, ct) is not { } stored) return;
        var report = DailyReportFiles.FileName(day, "");
        var addresses = await accounts.OperatorEmailsAsync(tenant.Id, ct);
        var link = $"{options.Value.DashboardUrl.TrimEnd('/')}/reports";
        var fields = new Dictionary<string, string>
        {
            ["tenant"] = tenant.Name,
            ["date"] = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["summary"] = stored.Summary,
        };
        MessageAttachment[] attachments =
        [
            new(report + "pdf", "application/pdf", stored.Pdf),
            new(report + "xlsx", Platform.Exports.TableExport.XlsxType, stored.Xlsx),
        ];
        await queue.QueueAsync([.. addresses.Select(address => new NotificationRequest(SourceId(tenant.Id, day), tenant.Id, NotificationKinds.DailyReport,
            new AddressRecipient(ChannelKind.Email, address), fields, Link: link, Attachments: attachments))], ct);
        await store.MarkEmailedAsync(tenant.Id, day, now, ct);
    }

    /// <summary>Stable per tenant and day, so queueing the same report again is the same notification.</summary>
    public static Guid SourceId(Guid tenantId, DateOnly day) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"daily_report:{tenantId:N}:{day:yyyy-MM-dd}"))[..16]);

    private static TimeZoneInfo Zone(string id) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
}
