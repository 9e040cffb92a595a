using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>
/// A condition a rule found now: about Subject (a lot id, a provider name) within its kind, in a tenant (null: the
/// platform). Holding for less than <see cref="For"/> opens nothing yet.
/// </summary>
public sealed record AlertCondition(Guid? TenantId, Guid? LotId, string Kind, string Subject, string Severity, string Title, string Detail, TimeSpan For = default);

/// <summary>
/// The alerts table and its lifecycle: open → acknowledged → resolved, with who and when. Every change records its
/// domain event in the same transaction and tells this node's pages at once (other nodes hear it through the events).
/// </summary>
public sealed class AlertStore(NpgsqlDataSource db, EventOutbox outbox, AlertFeed feed, AlertSettingsStore settings, IOptions<AlertOptions> options, TimeProvider time)
{
    public const int MaxNoteLength = 500;

    // Serialises rule rounds with each other (a test calling a round while the timer runs one).
    private const long RoundLock = 0x414C_4552_5453; // "ALERTS"

    internal const string Columns = """
        select a.id, a.tenant_id, a.lot_id, a.kind, a.severity, a.title, a.detail, a.status, a.opened_at, a.acknowledged_at, a.acknowledged_by,
               a.acknowledged_by_name, a.resolved_at, a.resolved_by, a.resolved_by_name, a.resolution_note, a.escalation_level, a.next_escalation_at
        """;

    public async Task<AlertView> AcknowledgeAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct)
    {
        var (by, name) = Actor(principal);
        return await ChangeAsync(principal, id, current => current.Status switch
        {
            AlertStatuses.Open => null,
            AlertStatuses.Acknowledged => $"The alert was already acknowledged{ByWhom(current.AcknowledgedByName, current.AcknowledgedAt)}.",
            _ => $"The alert is resolved{ByWhom(current.ResolvedByName ?? current.ResolvedBy, current.ResolvedAt)}; a resolved alert cannot be acknowledged.",
        }, """
            update alerts set status = 'acknowledged', acknowledged_at = @now, acknowledged_by = @by, acknowledged_by_name = @name, next_escalation_at = null
            where id = @id
            """, new { by, name }, (facts, now) => new AlertAcknowledged(facts, by, now), ct);
    }

    public async Task<AlertView> ResolveAsync(ClaimsPrincipal principal, Guid id, AlertResolution? resolution, CancellationToken ct)
    {
        var note = string.IsNullOrWhiteSpace(resolution?.Note) ? null : resolution.Note.Trim();
        new Validation()
            .MaxLength(note, "note", MaxNoteLength)
            .Check(StoredText.Problem(note) is null, "note", StoredText.Problem(note) ?? "")
            .ThrowIfInvalid();
        var (by, name) = Actor(principal);
        return await ChangeAsync(principal, id, current => current.Status == AlertStatuses.Resolved
            ? $"The alert was already resolved{ByWhom(current.ResolvedByName ?? current.ResolvedBy, current.ResolvedAt)}."
            : null, """
            update alerts set status = 'resolved', resolved_at = @now, resolved_by = @by, resolved_by_name = @name, resolution_note = @note, next_escalation_at = null
            where id = @id
            """, new { by, name, note }, (facts, now) => new AlertResolved(facts, by, now, note), ct);
    }

    /// <summary>One transition of one alert the caller may see (404 otherwise): refused with 409 when <paramref name="refusal"/> says why.</summary>
    private async Task<AlertView> ChangeAsync(ClaimsPrincipal principal, Guid id, Func<AlertView, string?> refusal, string update, object values,
        Func<AlertFacts, DateTimeOffset, IDomainEvent> happened, CancellationToken ct)
    {
        var scope = principal.TenantScope();
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Operators never see platform alerts (tenant null): the scope comparison leaves them out.
        var current = await connection.QuerySingleOrDefaultAsync<AlertView>(new CommandDefinition(
            $"{Columns} from alerts a where a.id = @id and (@scope::uuid is null or a.tenant_id = @scope) for update",
            new { id, scope }, tx, cancellationToken: ct)) ?? throw new NotFoundException("Alert");
        if (refusal(current) is { } why) throw new ConflictException(why, new Dictionary<string, object?> { ["status"] = current.Status });
        var parameters = new DynamicParameters(values);
        parameters.AddDynamicParams(new { id, now });
        await connection.ExecuteAsync(new CommandDefinition(update, parameters, tx, cancellationToken: ct));
        await outbox.AppendAsync(connection, tx, happened(Facts(current), now), ct);
        var changed = await connection.QuerySingleAsync<AlertView>(new CommandDefinition($"{Columns} from alerts a where a.id = @id", new { id }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        feed.Changed(changed.TenantId);
        return changed;
    }

    /// <summary>
    /// Applies one round of the rules: conditions of the evaluated kinds that hold open an alert (once held for their
    /// time) or refresh the open one; alerts whose condition no longer holds resolve by themselves after the hold-down.
    /// Kinds whose rule could not be evaluated this round are left as they are. Answers the alerts opened.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> ApplyAsync(IReadOnlyCollection<string> evaluatedKinds, IReadOnlyList<AlertCondition> conditions, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var holdDown = TimeSpan.FromSeconds(options.Value.HoldDownSeconds);
        var opened = new List<Guid>();
        var touched = new HashSet<Guid?>();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(@RoundLock)", new { RoundLock }, tx, cancellationToken: ct));
        var kinds = evaluatedKinds.ToArray();
        var holding = conditions.Where(c => kinds.Contains(c.Kind)).GroupBy(Key).Select(g => g.First()).ToList();

        // When each condition began: kept across rounds (and nodes), forgotten as soon as it stops holding.
        await connection.ExecuteAsync(new CommandDefinition("""
            delete from alert_conditions c where c.kind = any(@kinds)
              and not exists (select 1 from unnest(@tenants, @conditionKinds, @subjects) as h(tenant_key, kind, subject)
                              where h.tenant_key = c.tenant_key and h.kind = c.kind and h.subject = c.subject);
            insert into alert_conditions (tenant_key, kind, subject, since)
            select tenant_key, kind, subject, @now from unnest(@tenants, @conditionKinds, @subjects) as h(tenant_key, kind, subject)
            on conflict do nothing
            """, new
        {
            kinds, now,
            tenants = holding.Select(c => c.TenantId ?? Guid.Empty).ToArray(),
            conditionKinds = holding.Select(c => c.Kind).ToArray(),
            subjects = holding.Select(c => c.Subject).ToArray(),
        }, tx, cancellationToken: ct));
        var since = (await connection.QueryAsync<(Guid TenantKey, string Kind, string Subject, DateTimeOffset Since)>(new CommandDefinition(
            "select tenant_key, kind, subject, since from alert_conditions where kind = any(@kinds)", new { kinds }, tx, cancellationToken: ct)))
            .ToDictionary(r => (r.TenantKey, r.Kind, r.Subject), r => r.Since);

        var unresolved = (await connection.QueryAsync<AlertRow>(new CommandDefinition(
            $"{Columns}, a.subject, a.cleared_at from alerts a where a.status <> 'resolved' and a.kind = any(@kinds) for update", new { kinds }, tx, cancellationToken: ct)))
            .ToDictionary(a => (a.TenantId ?? Guid.Empty, a.Kind, a.Subject));
        var recentlyResolved = (await connection.QueryAsync<(Guid? TenantId, string Kind, string Subject)>(new CommandDefinition(
            "select tenant_id, kind, subject from alerts where status = 'resolved' and kind = any(@kinds) and resolved_at > @after",
            new { kinds, after = now - holdDown }, tx, cancellationToken: ct))).Select(r => (r.TenantId ?? Guid.Empty, r.Kind, r.Subject)).ToHashSet();
        var allSettings = await settings.AllAsync(connection, tx, ct);

        foreach (var condition in holding)
        {
            var key = Key(condition);
            if (unresolved.Remove(key, out var existing))
            {
                // Still holding: the numbers move with it; a clearing that did not last is forgotten.
                if (existing.Title != condition.Title || existing.Detail != condition.Detail || existing.Severity != condition.Severity || existing.ClearedAt is not null)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "update alerts set title = @Title, detail = @Detail, severity = @Severity, cleared_at = null where id = @id",
                        new { condition.Title, condition.Detail, condition.Severity, id = existing.Id }, tx, cancellationToken: ct));
                    touched.Add(existing.TenantId);
                }
                continue;
            }
            if (now - since[key] < condition.For || recentlyResolved.Contains(key)) continue;
            opened.Add(await OpenAsync(connection, tx, condition, allSettings, now, ct));
            touched.Add(condition.TenantId);
        }

        // What is left did not hold this round.
        foreach (var gone in unresolved.Values)
        {
            if (gone.ClearedAt is null)
            {
                await connection.ExecuteAsync(new CommandDefinition("update alerts set cleared_at = @now where id = @id", new { now, id = gone.Id }, tx, cancellationToken: ct));
                if (holdDown > TimeSpan.Zero) continue;
            }
            else if (now - gone.ClearedAt < holdDown) continue;
            await connection.ExecuteAsync(new CommandDefinition("""
                update alerts set status = 'resolved', resolved_at = @now, resolved_by = 'system', resolved_by_name = 'system',
                    resolution_note = 'The condition cleared by itself.', next_escalation_at = null
                where id = @id
                """, new { now, id = gone.Id }, tx, cancellationToken: ct));
            await outbox.AppendAsync(connection, tx, new AlertResolved(gone.Facts(), AlertStatuses.System, now, null), ct);
            touched.Add(gone.TenantId);
        }
        await tx.CommitAsync(ct);
        foreach (var tenant in touched) feed.Changed(tenant);
        return opened;
    }

    /// <summary>
    /// A one-off alert someone reported (a driver through the assistant): opened at once, escalated like any other, and
    /// resolved only by an operator (no rule evaluates its kind, so nothing clears it by itself).
    /// </summary>
    public async Task<Guid> ReportAsync(AlertCondition report, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var id = await OpenAsync(connection, tx, report, await settings.AllAsync(connection, tx, ct), now, ct);
        await tx.CommitAsync(ct);
        feed.Changed(report.TenantId);
        return id;
    }

    /// <summary>Inserts an open alert with its first escalation step and its event.</summary>
    private async Task<Guid> OpenAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AlertCondition condition,
        Dictionary<Guid, AlertSettings> allSettings, DateTimeOffset now, CancellationToken ct)
    {
        var id = Guid.CreateVersion7(now);
        var chain = AlertSettingsStore.For(allSettings, condition.TenantId);
        var contacts = chain.Contacts!;
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into alerts (id, tenant_id, lot_id, kind, subject, severity, title, detail, status, opened_at, escalation_level, next_escalation_at)
            values (@id, @TenantId, @LotId, @Kind, @Subject, @Severity, @Title, @Detail, 'open', @now, 0, @next)
            """, new
        {
            id, condition.TenantId, condition.LotId, condition.Kind, condition.Subject, condition.Severity, condition.Title, condition.Detail, now,
            next = contacts.Count > 1 ? now.AddMinutes(chain.EscalateAfterMinutes!.Value) : (DateTimeOffset?)null,
        }, tx, cancellationToken: ct));
        var facts = new AlertFacts(id, condition.TenantId, condition.LotId, condition.Kind, condition.Severity, condition.Title, condition.Detail);
        await outbox.AppendAsync(connection, tx, new AlertRaised(facts, now), ct);
        if (contacts.Count > 0) await RecordStepAsync(connection, tx, id, 0, contacts[0], now, ct);
        return id;
    }

    /// <summary>
    /// Open alerts nobody acknowledged in time go to the next contact of their tenant's chain (as it is now), each step
    /// recorded with its time; the chain's end stops it.
    /// </summary>
    public async Task<int> EscalateAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(@RoundLock)", new { RoundLock }, tx, cancellationToken: ct));
        var due = (await connection.QueryAsync<AlertView>(new CommandDefinition(
            $"{Columns} from alerts a where a.status = 'open' and a.next_escalation_at <= @now order by a.next_escalation_at for update",
            new { now }, tx, cancellationToken: ct))).ToList();
        if (due.Count == 0) return 0;
        var allSettings = await settings.AllAsync(connection, tx, ct);
        var escalated = 0;
        foreach (var alert in due)
        {
            var chain = AlertSettingsStore.For(allSettings, alert.TenantId);
            var contacts = chain.Contacts!;
            var level = alert.EscalationLevel + 1;
            if (level >= contacts.Count)
            {
                // The chain was shortened meanwhile: nobody left to tell.
                await connection.ExecuteAsync(new CommandDefinition("update alerts set next_escalation_at = null where id = @Id", new { alert.Id }, tx, cancellationToken: ct));
                continue;
            }
            var next = level + 1 < contacts.Count ? now.AddMinutes(chain.EscalateAfterMinutes!.Value) : (DateTimeOffset?)null;
            await connection.ExecuteAsync(new CommandDefinition(
                "update alerts set escalation_level = @level, next_escalation_at = @next where id = @Id", new { level, next, alert.Id }, tx, cancellationToken: ct));
            await RecordStepAsync(connection, tx, alert.Id, level, contacts[level], now, ct);
            await outbox.AppendAsync(connection, tx, new AlertEscalated(Facts(alert), level, contacts[level].Channel!, now), ct);
            escalated++;
        }
        await tx.CommitAsync(ct);
        foreach (var tenant in due.Select(a => a.TenantId).Distinct()) feed.Changed(tenant);
        return escalated;
    }

    private static Task RecordStepAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid alertId, int level, AlertContact contact, DateTimeOffset now, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into alert_escalations (alert_id, level, channel, address, at) values (@alertId, @level, @Channel, @Address, @now)
            on conflict do nothing
            """, new { alertId, level, contact.Channel, contact.Address, now }, tx, cancellationToken: ct));

    public async Task<IReadOnlyList<AlertActivity>> ActivityAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(string Kind, int Raised, int Resolved)>(new CommandDefinition("""
            select kind, count(*) filter (where opened_at >= @from and opened_at < @to)::int, count(*) filter (where resolved_at >= @from and resolved_at < @to)::int
            from alerts
            where tenant_id = @tenantId and ((opened_at >= @from and opened_at < @to) or (resolved_at >= @from and resolved_at < @to))
            group by kind order by kind
            """, new { tenantId, from, to }, cancellationToken: ct))).Select(r => new AlertActivity(r.Kind, r.Raised, r.Resolved)).ToList();
    }

    public async Task<AlertView?> FindAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<AlertView>(new CommandDefinition(
            $"{Columns} from alerts a where a.id = @id and (@scope::uuid is null or a.tenant_id = @scope)", new { id, scope = principal.TenantScope() }, cancellationToken: ct));
    }

    private static (string Id, string Name) Actor(ClaimsPrincipal principal) => (principal.UserId().ToString(), principal.Email() ?? principal.UserId().ToString());

    private static string ByWhom(string? who, DateTimeOffset? at) =>
        (who is null ? "" : $" by {who}") + (at is { } t ? $" at {t.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" : "");

    private static (Guid, string, string) Key(AlertCondition c) => (c.TenantId ?? Guid.Empty, c.Kind, c.Subject);

    private static AlertFacts Facts(AlertView a) => new(a.Id, a.TenantId, a.LotId, a.Kind, a.Severity, a.Title, a.Detail);

    private sealed class AlertRow
    {
        public Guid Id { get; init; }
        public Guid? TenantId { get; init; }
        public Guid? LotId { get; init; }
        public string Kind { get; init; } = "";
        public string Severity { get; init; } = "";
        public string Title { get; init; } = "";
        public string Detail { get; init; } = "";
        public string Subject { get; init; } = "";
        public DateTimeOffset? ClearedAt { get; init; }

        public AlertFacts Facts() => new(Id, TenantId, LotId, Kind, Severity, Title, Detail);
    }
}
