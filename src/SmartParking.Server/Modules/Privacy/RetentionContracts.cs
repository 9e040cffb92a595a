using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;

namespace SmartParking.Server.Modules.Privacy;

/// <summary>What happens to data past its retention period.</summary>
public enum RetentionAction { Delete, Pseudonymise }

/// <summary>
/// A retention period as people write it: hours, days or years ("24h", "90d", "7y"). Years are calendar years, so
/// seven years back from any day is the same date seven years earlier, leap days or not.
/// </summary>
public readonly partial record struct RetentionPeriod(int Amount, char Unit)
{
    public static RetentionPeriod Hours(int amount) => new(amount, 'h');
    public static RetentionPeriod Days(int amount) => new(amount, 'd');
    public static RetentionPeriod Years(int amount) => new(amount, 'y');

    public static bool TryParse(string? text, out RetentionPeriod period)
    {
        period = default;
        if (text is null || PeriodText().Match(text.Trim()) is not { Success: true } m) return false;
        if (!int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount <= 0) return false;
        period = new RetentionPeriod(amount, char.ToLowerInvariant(m.Groups[2].Value[0]));
        return true;
    }

    /// <summary>The oldest instant still kept at <paramref name="now"/>: data from before it is due.</summary>
    public DateTimeOffset CutoffAt(DateTimeOffset now) => Unit switch
    {
        'h' => now.AddHours(-Amount),
        'd' => now.AddDays(-Amount),
        _ => now.AddYears(-Amount),
    };

    /// <summary>Shorter than <paramref name="other"/> (keeps data for less time), judged at <paramref name="now"/>.</summary>
    public bool IsShorterThan(RetentionPeriod other, DateTimeOffset now) => CutoffAt(now) > other.CutoffAt(now);

    /// <summary>In words, for documents and messages: "90 days", "7 years", "24 hours".</summary>
    public string Describe() => $"{Amount} {(Unit switch { 'h' => "hour", 'd' => "day", _ => "year" })}{(Amount == 1 ? "" : "s")}";

    public override string ToString() => $"{Amount}{Unit}";

    [GeneratedRegex("^([0-9]{1,5})([hdyHDY])$")]
    private static partial Regex PeriodText();
}

/// <param name="Name">The class's name in the API, the runs and the privacy notice.</param>
/// <param name="Minimum">The shortest a tenant may set (what the law or the service needs).</param>
/// <param name="Maximum">The longest a tenant may set (data minimisation).</param>
/// <param name="PerTenant">Whether a tenant may set its own period; data not held per tenant has the default only.</param>
public sealed record RetentionClass(string Name, string Description, RetentionPeriod Default, RetentionPeriod Minimum, RetentionPeriod Maximum,
    RetentionAction Action, bool PerTenant);

/// <summary>
/// The data classes the retention job applies, with their defaults and the bounds a tenant's own period must keep within.
/// The privacy notice (docs/privacy.md) states the same periods; a test holds them together.
/// </summary>
public static class RetentionClasses
{
    public static readonly RetentionClass Readings = new("readings", "Raw sensor readings (daily partitions, dropped whole after archiving)",
        RetentionPeriod.Days(90), RetentionPeriod.Days(90), RetentionPeriod.Days(90), RetentionAction.Delete, PerTenant: false);

    public static readonly RetentionClass Plates = new("plates", "Licence plates on finished reservations and meter sessions (the stay itself is kept)",
        RetentionPeriod.Days(90), RetentionPeriod.Days(1), RetentionPeriod.Years(3), RetentionAction.Pseudonymise, PerTenant: true);

    public static readonly RetentionClass ChatTranscripts = new("chat-transcripts", "Chat conversations and hand-overs to a person, with what was said",
        RetentionPeriod.Days(30), RetentionPeriod.Days(1), RetentionPeriod.Days(365), RetentionAction.Delete, PerTenant: true);

    public static readonly RetentionClass NotificationLog = new("notification-log", "Notifications sent (address, subject and text)",
        RetentionPeriod.Days(180), RetentionPeriod.Days(7), RetentionPeriod.Years(2), RetentionAction.Delete, PerTenant: true);

    public static readonly RetentionClass AuditLog = new("audit-log", "Who changed or read what (the audit log)",
        RetentionPeriod.Years(7), RetentionPeriod.Years(1), RetentionPeriod.Years(10), RetentionAction.Delete, PerTenant: true);

    /// <summary>Bookkeeping law keeps payments and refunds for seven years: a tenant may keep them longer, never shorter.</summary>
    public static readonly RetentionClass FinancialRecords = new("financial-records", "Payments, refunds and payment-provider webhook records",
        RetentionPeriod.Years(7), RetentionPeriod.Years(7), RetentionPeriod.Years(30), RetentionAction.Delete, PerTenant: true);

    public static readonly RetentionClass IdempotencyRecords = new("idempotency-records", "Stored answers to retried bookings and payments (Idempotency-Key)",
        RetentionPeriod.Hours(24), RetentionPeriod.Hours(24), RetentionPeriod.Hours(24), RetentionAction.Delete, PerTenant: false);

    public static readonly RetentionClass SignInFailures = new("sign-in-failures", "Failed sign-ins (account, client address, reason; never the password)",
        RetentionPeriod.Days(90), RetentionPeriod.Days(90), RetentionPeriod.Days(90), RetentionAction.Delete, PerTenant: false);

    /// <summary>Driver accounts unused this long are erased as on the driver's own request, after a warning e-mail (Privacy:InactiveWarningDays).</summary>
    public static readonly RetentionClass InactiveAccounts = new("inactive-accounts", "Driver accounts with no sign-in for the period (erased after a warning e-mail)",
        RetentionPeriod.Years(3), RetentionPeriod.Years(1), RetentionPeriod.Years(10), RetentionAction.Delete, PerTenant: false);

    public static readonly IReadOnlyList<RetentionClass> All =
        [Readings, Plates, ChatTranscripts, NotificationLog, AuditLog, FinancialRecords, IdempotencyRecords, SignInFailures, InactiveAccounts];

    public static RetentionClass? Find(string name) => All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// Plates replaced past retention: a random pseudonym per stay, so nothing leads back to the car, while the stay (its
/// lot, times, price and payments) and every count over stays stay as they were. Real plates never hold a dash
/// (Lots.Plates normalises them), so a pseudonym cannot be mistaken for one.
/// </summary>
public static class PlatePseudonyms
{
    public const string Prefix = "ANON-";

    /// <summary>SQL for a new pseudonym, e.g. ANON-3F9A0C1B7E.</summary>
    public const string NewSql = "'" + Prefix + "' || upper(substr(md5(gen_random_uuid()::text), 1, 10))";

    /// <summary>SQL true where <paramref name="column"/> holds a plate still to pseudonymise.</summary>
    public static string IsRealSql(string column) => $"{column} is not null and {column} not like '{Prefix}%'";

    /// <summary>SQL: the clear column holds a pseudonym (which stays in clear when the real plate is sealed at rest).</summary>
    public static string IsPseudonymSql(string column) => $"{column} like '{Prefix}%'";
}

/// <summary>What one rule did in one run.</summary>
public readonly record struct RetentionOutcome(long Removed, long Pseudonymised)
{
    public static RetentionOutcome Deleted(long rows) => new(rows, 0);
    public static RetentionOutcome PseudonymisedRows(long rows) => new(0, rows);
    public static RetentionOutcome operator +(RetentionOutcome a, RetentionOutcome b) => new(a.Removed + b.Removed, a.Pseudonymised + b.Pseudonymised);
}

/// <summary>
/// When data of one class is due in one run: before <see cref="DefaultCutoff"/>, or a tenant's own cutoff where it set a
/// period. Rules work in batches of <see cref="BatchSize"/> rows, each its own short transaction, so a large table is
/// never locked for long.
/// </summary>
public sealed class RetentionScope(DateTimeOffset now, DateTimeOffset defaultCutoff, IReadOnlyDictionary<Guid, DateTimeOffset> tenantCutoffs, int batchSize)
{
    public DateTimeOffset Now { get; } = now;
    public DateTimeOffset DefaultCutoff { get; } = defaultCutoff;
    public IReadOnlyDictionary<Guid, DateTimeOffset> TenantCutoffs { get; } = tenantCutoffs;
    public int BatchSize { get; } = batchSize;

    /// <summary>
    /// SQL true where the row whose tenant is <paramref name="tenantColumn"/> and whose age is told by
    /// <paramref name="atColumn"/> is due (with <see cref="Parameters"/>): before its tenant's own cutoff where it has one,
    /// else the default. The latest cutoff of all bounds the range first, so an index on the time column is used.
    /// </summary>
    public static string IsDueSql(string tenantColumn, string atColumn) =>
        $"{atColumn} < @latestCutoff and {atColumn} < coalesce((select c.cutoff from unnest(@retentionTenants::uuid[], @retentionCutoffs::timestamptz[]) c(tenant_id, cutoff) where c.tenant_id = {tenantColumn}), @defaultCutoff)";

    /// <summary>@defaultCutoff, @batchSize and the tenants' cutoffs for <see cref="IsDueSql"/>, plus <paramref name="more"/>.</summary>
    public DynamicParameters Parameters(object? more = null)
    {
        var parameters = new DynamicParameters(more);
        parameters.Add("defaultCutoff", DefaultCutoff);
        parameters.Add("latestCutoff", TenantCutoffs.Values.Append(DefaultCutoff).Max());
        parameters.Add("batchSize", BatchSize);
        parameters.Add("retentionTenants", TenantCutoffs.Keys.ToArray());
        parameters.Add("retentionCutoffs", TenantCutoffs.Values.ToArray());
        return parameters;
    }

    /// <summary>Runs <paramref name="sql"/> (which handles at most @batchSize rows, with <see cref="Parameters"/>) in batches; the rows handled in all.</summary>
    public Task<long> ExecuteInBatchesAsync(System.Data.Common.DbConnection connection, string sql, CancellationToken ct) =>
        InBatchesAsync(batch => connection.ExecuteAsync(new CommandDefinition(sql, Parameters(), cancellationToken: batch)), ct);

    /// <summary>Runs <paramref name="batch"/> (which handles at most <see cref="BatchSize"/> rows) until a batch comes back short; the rows handled in all.</summary>
    public async Task<long> InBatchesAsync(Func<CancellationToken, Task<int>> batch, CancellationToken ct)
    {
        long total = 0;
        int done;
        do
        {
            done = await batch(ct);
            total += done;
        }
        while (done >= BatchSize && !ct.IsCancellationRequested);
        return total;
    }
}

/// <summary>
/// A module's retention of its own tables for one data class (<see cref="RetentionClasses"/>). Each module implements it
/// next to its tables and registers it with <c>services.AddSingleton&lt;IRetentionRule, …&gt;()</c>; the retention job
/// (Privacy) runs every rule once a day and reports what each removed, and never touches a module's tables itself. A rule
/// must be safe to run again after a failure: the next run picks up what is still due.
/// </summary>
public interface IRetentionRule
{
    /// <summary>The <see cref="RetentionClass.Name"/> this rule applies.</summary>
    string DataClass { get; }

    Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct);
}
