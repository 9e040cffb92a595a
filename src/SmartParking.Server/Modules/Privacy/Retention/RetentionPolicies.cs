using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Privacy.Retention;

/// <summary>One data class as a tenant sees it: the default, the bounds, its own period if set, and the one in force.</summary>
public sealed record RetentionPolicyView(string DataClass, string Description, string Action, bool PerTenant, string Default, string Minimum, string Maximum,
    string? TenantPeriod, string Effective, string EffectiveText);

/// <summary>A tenant's own period for one data class, e.g. <c>{"period": "120d"}</c> (h, d or y).</summary>
public sealed record SetRetentionPolicyRequest(string? Period);

/// <summary>Tenants' own retention periods (<c>retention_policies</c>), within each class's bounds.</summary>
public sealed class RetentionPolicies(NpgsqlDataSource db, AuditLog audit, TimeProvider time)
{
    private sealed record Row(Guid TenantId, string DataClass, string Period);

    public async Task<IReadOnlyList<RetentionPolicyView>> ListAsync(ClaimsPrincipal user, Guid? tenantId, CancellationToken ct)
    {
        var tenant = user.TenantScope(tenantId);
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        if (tenant is { } id)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            foreach (var row in await connection.QueryAsync<Row>(new CommandDefinition(
                         "select tenant_id, data_class, period from retention_policies where tenant_id = @id", new { id }, cancellationToken: ct)))
                own[row.DataClass] = row.Period;
        }
        return RetentionClasses.All.Select(c =>
        {
            var set = own.GetValueOrDefault(c.Name);
            var effective = set is not null && RetentionPeriod.TryParse(set, out var p) ? p : c.Default;
            return new RetentionPolicyView(c.Name, c.Description, c.Action == RetentionAction.Delete ? "delete" : "pseudonymise", c.PerTenant,
                c.Default.ToString(), c.Minimum.ToString(), c.Maximum.ToString(), set, effective.ToString(), effective.Describe());
        }).ToList();
    }

    /// <summary>Sets the tenant's period for <paramref name="dataClass"/>: 400 naming "period" outside the class's bounds, 404 for an unknown class.</summary>
    public async Task<IReadOnlyList<RetentionPolicyView>> SetAsync(ClaimsPrincipal user, string dataClass, Guid? tenantId, SetRetentionPolicyRequest request, CancellationToken ct)
    {
        var retentionClass = RetentionClasses.Find(dataClass) ?? throw new NotFoundException($"Data class '{dataClass}'");
        var tenant = user.TenantForWrite(tenantId);
        var period = Validate(retentionClass, request.Period);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var before = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "select period from retention_policies where tenant_id = @tenant and data_class = @name for update",
            new { tenant, name = retentionClass.Name }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into retention_policies (tenant_id, data_class, period, updated_at) values (@tenant, @name, @period, @now)
            on conflict (tenant_id, data_class) do update set period = excluded.period, updated_at = excluded.updated_at
            """, new { tenant, name = retentionClass.Name, period = period.ToString(), now = time.GetUtcNow() }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, user, tenant, "retention.policy_set", "retention_policy", retentionClass.Name,
            new { before, after = period.ToString() }, ct);
        await tx.CommitAsync(ct);
        return await ListAsync(user, tenant, ct);
    }

    /// <summary>Puts the class back to its default for the tenant.</summary>
    public async Task<IReadOnlyList<RetentionPolicyView>> ResetAsync(ClaimsPrincipal user, string dataClass, Guid? tenantId, CancellationToken ct)
    {
        var retentionClass = RetentionClasses.Find(dataClass) ?? throw new NotFoundException($"Data class '{dataClass}'");
        var tenant = user.TenantForWrite(tenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var before = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "delete from retention_policies where tenant_id = @tenant and data_class = @name returning period",
            new { tenant, name = retentionClass.Name }, tx, cancellationToken: ct));
        if (before is not null)
            await audit.RecordAsync(connection, tx, user, tenant, "retention.policy_reset", "retention_policy", retentionClass.Name, new { before }, ct);
        await tx.CommitAsync(ct);
        return await ListAsync(user, tenant, ct);
    }

    private RetentionPeriod Validate(RetentionClass retentionClass, string? text)
    {
        if (!retentionClass.PerTenant)
            throw new ValidationException("period", $"{retentionClass.Name} is kept {retentionClass.Default.Describe()} for the whole platform; a tenant cannot set its own.");
        if (!RetentionPeriod.TryParse(text, out var period))
            throw new ValidationException("period", "must be a whole number of hours, days or years, e.g. \"48h\", \"90d\" or \"7y\".");
        var now = time.GetUtcNow();
        if (period.IsShorterThan(retentionClass.Minimum, now))
            throw new ValidationException("period", $"must be at least {retentionClass.Minimum.Describe()} for {retentionClass.Name}.");
        if (retentionClass.Maximum.IsShorterThan(period, now))
            throw new ValidationException("period", $"must be at most {retentionClass.Maximum.Describe()} for {retentionClass.Name}.");
        return period;
    }

    /// <summary>When data of <paramref name="retentionClass"/> is due at <paramref name="now"/>, for every tenant with its own period.</summary>
    public async Task<RetentionScope> ScopeAsync(RetentionClass retentionClass, DateTimeOffset now, int batchSize, CancellationToken ct)
    {
        var tenants = new Dictionary<Guid, DateTimeOffset>();
        if (retentionClass.PerTenant)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            foreach (var row in await connection.QueryAsync<Row>(new CommandDefinition(
                         "select tenant_id, data_class, period from retention_policies where data_class = @name", new { name = retentionClass.Name }, cancellationToken: ct)))
                if (RetentionPeriod.TryParse(row.Period, out var period))
                    tenants[row.TenantId] = period.CutoffAt(now);
        }
        return new RetentionScope(now, retentionClass.Default.CutoffAt(now), tenants, batchSize);
    }
}
