using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Privacy.Rights;

public sealed record EraseAccountRequest(string? Password, string? Totp);

/// <summary>A data-subject request by staff: the account by id or by e-mail address (one of them).</summary>
public sealed record DataSubjectRequest(Guid? UserId, string? Email);

/// <summary>Who asked for an erasure, as recorded with it.</summary>
public static class ErasureRequesters
{
    public const string Self = "self";
    public const string Admin = "admin";
    public const string Inactivity = "inactivity";
}

/// <summary>
/// Access (export) and erasure, over every module's <see cref="IPersonalDataHolder"/>: this module reads none of their
/// tables. Erasure first ends what is open the way the driver would (reservations cancelled under the lot's rules,
/// meter sessions stopped and charged), then runs every holder in one transaction: the account is erased whole or not
/// at all.
/// </summary>
public sealed class AccountRights(
    IEnumerable<IPersonalDataHolder> holders, IAccountDirectory accounts, IDriverReservations reservations, IDriverSessions sessions,
    NpgsqlDataSource db, AuditLog audit, TimeProvider time, ILogger<AccountRights> logger)
{
    private const string PseudonymAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public async Task<DataArchive> ExportAsync(DataSubject subject, CancellationToken ct)
    {
        var tables = new List<(string, PersonalDataTable)>();
        foreach (var holder in holders)
            foreach (var table in await holder.ExportAsync(subject, ct))
                tables.Add((holder.Area, table));
        return DataArchive.Build(subject.UserId, time.GetUtcNow(), tables);
    }

    /// <summary>
    /// A data-subject request handled by staff, audited. An admin may ask for any account and gets everything; an
    /// operator only for a driver known in their tenant (any other account is "not found", so an operator cannot probe
    /// which addresses have accounts), and gets only their tenant's rows of tables that belong to a tenant.
    /// </summary>
    public async Task<DataArchive> ExportForStaffAsync(ClaimsPrincipal staff, DataSubjectRequest? request, CancellationToken ct)
    {
        var account = await FindAsync(request, ct);
        Guid? tenant = null;
        if (!staff.IsAdmin())
        {
            tenant = staff.TenantScope();
            if (account.Role != Roles.Driver || !await KnownInTenantAsync(account.Id, tenant!.Value, ct)) throw new NotFoundException("Account");
        }
        var archive = await ExportAsync(new DataSubject(account.Id, tenant), ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await audit.RecordAsync(connection, null, staff, tenant, "privacy.data_exported", "user", account.Id, new { scope = tenant is null ? "all" : "tenant" }, ct);
        return archive;
    }

    /// <summary>The signed-in driver deletes their account, after proving it is them (password, and code when enrolled).</summary>
    public async Task EraseOwnAsync(ClaimsPrincipal principal, PasswordSignIn signIn, EraseAccountRequest? request, IPAddress? from, CancellationToken ct)
    {
        new Validation().Required(request?.Password, "password", 128).MaxLength(request?.Totp, "totp", 10).ThrowIfInvalid();
        var account = await accounts.FindAsync(principal.UserId(), ct) ?? throw new NotFoundException("Account");
        if (account.Role != Roles.Driver) throw new ConflictException("Staff accounts are closed by a platform administrator.");
        try
        {
            await signIn.VerifyAsync(account.Email, request!.Password!, request.Totp, null, from);
        }
        catch (UnauthorizedException e) when (e.Type == PasswordSignIn.MfaRequiredType)
        {
            throw new ValidationException("totp", "is required: the current code of your authenticator app.");
        }
        catch (UnauthorizedException)
        {
            throw new ValidationException("password", "is not the current password of this account.");
        }
        await EraseAsync(account.Id, ErasureRequesters.Self, principal, ct);
    }

    /// <summary>An administrator erases a driver's account (a data-subject request received elsewhere).</summary>
    public async Task EraseByAdminAsync(ClaimsPrincipal admin, Guid userId, CancellationToken ct)
    {
        if (!admin.IsAdmin()) throw new ForbiddenException("Only platform administrators erase accounts.");
        var account = await accounts.FindAsync(userId, ct) ?? throw new NotFoundException("Account");
        if (account.Role != Roles.Driver) throw new ConflictException("Only driver accounts are erased; change a staff account's role first.");
        await EraseAsync(account.Id, ErasureRequesters.Admin, admin, ct);
    }

    /// <summary>
    /// Ends what is open, then erases in one transaction across every holder. Answers false when the account was erased
    /// meanwhile. A holder that fails rolls everything back (ServiceUnavailable: nothing was erased, try again).
    /// </summary>
    internal async Task<bool> EraseAsync(Guid userId, string requestedBy, ClaimsPrincipal? actor, CancellationToken ct)
    {
        await reservations.EndOpenAsync(userId, ct);
        await sessions.StopActiveAsync(userId, ct);

        var pseudonym = NewPseudonym();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        if (await connection.ExecuteAsync(new CommandDefinition("""
                insert into privacy_erasures (user_id, pseudonym, requested_by, erased_at) values (@userId, @pseudonym, @requestedBy, @now) on conflict do nothing;
                """, new { userId, pseudonym, requestedBy, now }, tx, cancellationToken: ct)) == 0)
            return false;
        try
        {
            // Recorded first, so the holders replace the actor's address in it as in every other entry.
            await audit.RecordAsync(connection, tx, actor, null, "privacy.account_erased", "user", userId, new { requestedBy }, ct);
            var scope = new ErasureScope(userId, pseudonym, connection, tx, now);
            foreach (var holder in holders) await holder.EraseAsync(scope, ct);
            await connection.ExecuteAsync(new CommandDefinition("delete from privacy_inactivity_warnings where user_id = @userId", new { userId }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Erasure of account {UserId} failed and was rolled back", userId);
            throw new ServiceUnavailableException("The account could not be erased, and nothing of it was changed; try again later.", TimeSpan.FromMinutes(1));
        }
        return true;
    }

    private async Task<AccountFacts> FindAsync(DataSubjectRequest? request, CancellationToken ct)
    {
        var v = new Validation();
        if (request?.UserId is null == string.IsNullOrWhiteSpace(request?.Email)) v.Add("userId", "give either userId or email (one of them).");
        v.MaxLength(request?.Email, "email", 254).ThrowIfInvalid();
        return (request!.UserId is { } id ? await accounts.FindAsync(id, ct) : await accounts.FindByEmailAsync(request.Email!, ct))
            ?? throw new NotFoundException("Account");
    }

    private async Task<bool> KnownInTenantAsync(Guid userId, Guid tenant, CancellationToken ct)
    {
        foreach (var holder in holders)
            if (await holder.KnowsInTenantAsync(userId, tenant, ct)) return true;
        return false;
    }

    /// <summary>Random, so nothing about the person can be recovered from it (not a hash of the address).</summary>
    private static string NewPseudonym() =>
        "erased-" + new string([.. Enumerable.Range(0, 20).Select(_ => PseudonymAlphabet[RandomNumberGenerator.GetInt32(PseudonymAlphabet.Length)])]);
}
