using System.Security.Claims;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Lots;

/// <summary>
/// The tenants a caller may see (all of them for an admin, an operator's own otherwise) and, for admins, new ones. The
/// API and the dashboard's pages call this.
/// </summary>
public sealed partial class TenantDirectory(NpgsqlDataSource db, AuditLog audit) : ITenants
{
    public async Task<bool> ExistsAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from tenants where id = @tenantId)", new { tenantId }, cancellationToken: ct));
    }

    /// <summary>Every tenant, for platform work that runs per tenant (daily reports).</summary>
    public async Task<IReadOnlyList<Tenant>> AllAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Tenant>(new CommandDefinition("select * from tenants order by id", cancellationToken: ct))).ToList();
    }

    public const string OnlyAdminsCreate = "Only an administrator can create tenants; ask your platform administrator to create yours and its first operator account.";

    public async Task<IReadOnlyList<Tenant>> ListAsync(ClaimsPrincipal principal, CancellationToken ct)
    {
        var scope = principal.TenantScope();
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Tenant>(new CommandDefinition(
            "select * from tenants where @scope::uuid is null or id = @scope order by name", new { scope }, cancellationToken: ct))).ToList();
    }

    /// <summary>Adds a tenant's field errors to <paramref name="v"/>, so a form that creates more than the tenant reports everything at once.</summary>
    public static Validation Validate(Validation v, TenantRequest request) => v
        .Required(request.Name, "name", 200)
        .Check(request.Slug is null || SlugPattern().IsMatch(request.Slug), "slug", "must be lowercase letters, digits and dashes (2–60).")
        .Check(LotsVocabulary.IsTimeZone(request.TimeZone), "timeZone", "must be an IANA time zone such as Europe/Copenhagen.")
        .Check(LotsVocabulary.IsCurrency(request.Currency), "currency", "must be an ISO 4217 code such as EUR.");

    public async Task<Tenant> CreateAsync(ClaimsPrincipal principal, TenantRequest request, CancellationToken ct)
    {
        // The endpoint's policy says the same; a dashboard page has no endpoint policy in front of it.
        if (!principal.IsAdmin()) throw new ForbiddenException(OnlyAdminsCreate);
        Validate(new Validation(), request).ThrowIfInvalid();
        var tenant = new Tenant
        {
            Id = Guid.CreateVersion7(),
            Name = request.Name!.Trim(),
            Slug = request.Slug ?? Slugify(request.Name!),
            TimeZone = request.TimeZone!,
            Currency = request.Currency!,
        };
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var created = await connection.QuerySingleOrDefaultAsync<Tenant>(new CommandDefinition(
            "insert into tenants (id, name, slug, time_zone, currency) values (@Id, @Name, @Slug, @TimeZone, @Currency) on conflict (slug) do nothing returning *",
            tenant, tx, cancellationToken: ct))
            ?? throw new ConflictException($"Another tenant already has the slug '{tenant.Slug}'; choose another slug.");
        await audit.RecordAsync(connection, tx, principal, created.Id, "tenant.created", "tenant", created.Id, request, ct);
        await tx.CommitAsync(ct);
        return created;
    }

    internal static string Slugify(string name)
    {
        var slug = NonSlug().Replace(name.Trim().ToLowerInvariant(), "-").Trim('-');
        return slug.Length < 2 ? "tenant-" + Guid.NewGuid().ToString("N")[..8] : slug[..Math.Min(60, slug.Length)].TrimEnd('-');
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,59}$")] private static partial Regex SlugPattern();
    [GeneratedRegex("[^a-z0-9]+")] private static partial Regex NonSlug();
}
