using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Notifications;

namespace SmartParking.Server.Modules.Privacy.Rights;

/// <summary>What one application of the inactive-account rule did.</summary>
public sealed record InactiveAccountsOutcome(int Warned, int Erased);

/// <summary>
/// Driver accounts unused (no sign-in, no refreshed sign-in) for the retention period of
/// <see cref="RetentionClasses.InactiveAccounts"/> (3 years unless set) are erased through the same path as a driver's own
/// request, after an e-mail Privacy:InactiveWarningDays before. The retention job runs it with the other rules. A warning is about one state of
/// the account: a sign-in since voids it, and erasure waits the full notice after the warning even when the rule was off
/// for a while.
/// </summary>
public sealed class InactiveAccounts(
    IAccountDirectory accounts, INotificationQueue notifications, AccountRights rights, NpgsqlDataSource db, IOptions<PrivacyOptions> options,
    ILogger<InactiveAccounts> logger) : IRetentionRule
{
    public string DataClass => RetentionClasses.InactiveAccounts.Name;

    public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct) =>
        RetentionOutcome.Deleted((await ApplyAsync(scope.Now, scope.Now - scope.DefaultCutoff, ct)).Erased);

    /// <summary>With the class's default period.</summary>
    public Task<InactiveAccountsOutcome> ApplyAsync(DateTimeOffset now, CancellationToken ct) =>
        ApplyAsync(now, now - RetentionClasses.InactiveAccounts.Default.CutoffAt(now), ct);

    /// <summary>Accounts looked at per application; the rest wait for the next day.</summary>
    private const int Batch = 5_000;

    public async Task<InactiveAccountsOutcome> ApplyAsync(DateTimeOffset now, TimeSpan inactivity, CancellationToken ct)
    {
        var notice = TimeSpan.FromDays(options.Value.InactiveWarningDays);
        var candidates = await accounts.DriversInactiveSinceAsync(now - inactivity + notice, Batch, ct);
        if (candidates.Count == 0) return new InactiveAccountsOutcome(0, 0);

        Dictionary<Guid, (DateTimeOffset LastActiveAt, DateTimeOffset WarnedAt)> warnings;
        await using (var connection = await db.OpenConnectionAsync(ct))
            warnings = (await connection.QueryAsync<(Guid UserId, DateTimeOffset LastActiveAt, DateTimeOffset WarnedAt)>(new CommandDefinition(
                "select user_id, last_active_at, warned_at from privacy_inactivity_warnings where user_id = any(@ids)",
                new { ids = candidates.Select(c => c.Id).ToArray() }, cancellationToken: ct))).ToDictionary(w => w.UserId, w => (w.LastActiveAt, w.WarnedAt));

        int warned = 0, erased = 0;
        foreach (var account in candidates)
        {
            if (!warnings.TryGetValue(account.Id, out var warning) || warning.LastActiveAt != account.LastActiveAt)
            {
                await WarnAsync(account, now, account.LastActiveAt + inactivity > now + notice ? account.LastActiveAt + inactivity : now + notice, ct);
                warned++;
            }
            else if (account.LastActiveAt + inactivity <= now && warning.WarnedAt + notice <= now && await TryEraseAsync(account, ct))
                erased++;
        }
        if (warned + erased > 0) logger.LogInformation("Inactive driver accounts: {Warned} warned, {Erased} erased", warned, erased);
        return new InactiveAccountsOutcome(warned, erased);
    }

    /// <summary>One account that cannot be erased now (a payment provider down for its refund) waits for the next day, not the others.</summary>
    private async Task<bool> TryEraseAsync(AccountFacts account, CancellationToken ct)
    {
        try
        {
            return await rights.EraseAsync(account.Id, ErasureRequesters.Inactivity, null, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Inactive account {UserId} was not erased this time: {Error}", account.Id, e.Message);
            return false;
        }
    }

    private async Task WarnAsync(AccountFacts account, DateTimeOffset now, DateTimeOffset erasureOn, CancellationToken ct)
    {
        var fields = new Dictionary<string, string>
        {
            ["date"] = erasureOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["lastActive"] = account.LastActiveAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["days"] = ((int)(erasureOn - account.LastActiveAt).TotalDays).ToString(CultureInfo.InvariantCulture),
        };
        await notifications.QueueAsync([new NotificationRequest(Guid.CreateVersion7(now), null, NotificationKinds.AccountInactive, new DriverRecipient(account.Id), fields, Urgent: true)], ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into privacy_inactivity_warnings (user_id, last_active_at, warned_at) values (@Id, @LastActiveAt, @now)
            on conflict (user_id) do update set last_active_at = excluded.last_active_at, warned_at = excluded.warned_at
            """, new { account.Id, account.LastActiveAt, now }, cancellationToken: ct));
    }
}
