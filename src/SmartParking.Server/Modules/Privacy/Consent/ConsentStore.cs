using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Privacy.Consent;

/// <summary>A purpose's state now: given or not, and the change that made it so (null: never asked, so not given).</summary>
public sealed record ConsentState(string Purpose, bool Granted, string? Source, string? PolicyVersion, DateTimeOffset? RecordedAt);

public sealed record ConsentsResponse(string PolicyVersion, IReadOnlyList<ConsentState> Current, IReadOnlyList<ConsentChange> History);

/// <summary>A change of consent: each purpose left out (null) keeps its state.</summary>
public sealed record ConsentsRequest(bool? MarketingNotifications, bool? Analytics);

/// <summary>The consent history in privacy_consents: appended to, never rewritten; the latest row per purpose is the state.</summary>
public sealed class ConsentStore(NpgsqlDataSource db, IOptions<PrivacyOptions> options, TimeProvider time) : IConsents
{
    public async Task<IReadOnlySet<Guid>> GrantedAsync(string purpose, IReadOnlyCollection<Guid> userIds, CancellationToken ct)
    {
        if (userIds.Count == 0) return new HashSet<Guid>();
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition("""
            select user_id from (
                select distinct on (user_id) user_id, granted from privacy_consents
                where user_id = any(@ids) and purpose = @purpose
                order by user_id, recorded_at desc, id desc) latest
            where granted
            """, new { ids = userIds.Distinct().ToArray(), purpose }, cancellationToken: ct))).ToHashSet();
    }

    public async Task RecordAsync(Guid userId, string purpose, bool granted, string source, CancellationToken ct)
    {
        if (!ConsentPurposes.All.Contains(purpose)) throw new ArgumentException($"'{purpose}' is not a consent purpose.", nameof(purpose));
        if (!ConsentSources.All.Contains(source)) throw new ArgumentException($"'{source}' is not a consent source.", nameof(source));
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Two changes at once for one person are ordered, so each is compared with the state it replaces.
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@key, 0))",
            new { key = "privacy_consents:" + userId }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into privacy_consents (user_id, purpose, granted, source, policy_version, recorded_at)
            select @userId, @purpose, @granted, @source, @policyVersion, @now
            where coalesce((select granted from privacy_consents where user_id = @userId and purpose = @purpose order by recorded_at desc, id desc limit 1), false) <> @granted
               or not exists (select 1 from privacy_consents where user_id = @userId and purpose = @purpose)
            """, new { userId, purpose, granted, source, policyVersion = options.Value.ConsentPolicyVersion, now = time.GetUtcNow() }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>Applies a person's change of several purposes (every bad field named at once).</summary>
    public async Task<ConsentsResponse> ChangeAsync(Guid userId, ConsentsRequest? request, string source, CancellationToken ct)
    {
        if (request is null || (request.MarketingNotifications is null && request.Analytics is null))
            throw new ValidationException("request", "name at least one purpose: marketingNotifications or analytics (true to consent, false to withdraw).");
        if (request.MarketingNotifications is { } marketing) await RecordAsync(userId, ConsentPurposes.MarketingNotifications, marketing, source, ct);
        if (request.Analytics is { } analytics) await RecordAsync(userId, ConsentPurposes.Analytics, analytics, source, ct);
        return await GetAsync(userId, ct);
    }

    public async Task<ConsentsResponse> GetAsync(Guid userId, CancellationToken ct)
    {
        var history = await HistoryAsync(userId, ct);
        var current = ConsentPurposes.All.Select(p => history.FirstOrDefault(h => h.Purpose == p) is { } last
            ? new ConsentState(p, last.Granted, last.Source, last.PolicyVersion, last.RecordedAt)
            : new ConsentState(p, false, null, null, null)).ToList();
        return new ConsentsResponse(options.Value.ConsentPolicyVersion, current, history);
    }

    /// <summary>Every change, newest first.</summary>
    public async Task<IReadOnlyList<ConsentChange>> HistoryAsync(Guid userId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ConsentChange>(new CommandDefinition("""
            select purpose, granted, source, policy_version, recorded_at from privacy_consents where user_id = @userId order by recorded_at desc, id desc
            """, new { userId }, cancellationToken: ct))).ToList();
    }
}
