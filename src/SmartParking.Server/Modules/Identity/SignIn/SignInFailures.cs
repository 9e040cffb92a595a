using System.Net;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Identity.SignIn;

/// <summary>Failed sign-ins since <see cref="Since"/>: per account (known accounts only) and per client address, most failures first.</summary>
public sealed record SignInFailureReport(DateTimeOffset Since, long Total, long UnknownAccounts, IReadOnlyList<AccountSignInFailures> Accounts,
    IReadOnlyList<AddressSignInFailures> Addresses);

public sealed record AccountSignInFailures(Guid UserId, string? Email, long Failures, DateTimeOffset LastAt);

/// <summary>An IPv4 address, or an IPv6 /64, as the throttle counts clients.</summary>
public sealed record AddressSignInFailures(string Address, long Failures, DateTimeOffset LastAt);

/// <summary>
/// Each refused sign-in (<c>sign_in_failures</c>): when, the account when the e-mail address has one, the client address
/// and why. Never the password, nor an e-mail address without an account (a mistyped address is someone's own data).
/// </summary>
public sealed class SignInFailures(NpgsqlDataSource db, TimeProvider time, FieldProtector protector)
{
    public async Task RecordAsync(Guid? userId, IPAddress? from, string reason)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync("insert into sign_in_failures (at, user_id, address, reason) values (@at, @userId, @address, @reason)",
            new { at = time.GetUtcNow(), userId, address = SignInThrottle.AddressKey(from), reason });
    }

    /// <summary>Failures since <paramref name="since"/> (default the last 24 hours), the <paramref name="limit"/> (default 20) worst accounts and addresses.</summary>
    public async Task<SignInFailureReport> ReportAsync(DateTimeOffset? since, int? limit, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        new Validation()
            .Check(since is null || since <= now, "since", "must not be in the future.")
            .Check(since is null || since >= RetentionClasses.SignInFailures.Default.CutoffAt(now), "since",
                $"must be within the last {RetentionClasses.SignInFailures.Default.Describe()}: older failures are not kept.")
            .Check(limit is null or (>= 1 and <= 500), "limit", "must be from 1 to 500.")
            .ThrowIfInvalid();
        var from = since ?? now.AddHours(-24);
        var top = limit ?? 20;
        await using var connection = await db.OpenConnectionAsync(ct);
        var totals = await connection.QuerySingleAsync<(long Total, long Unknown)>(new CommandDefinition(
            "select count(*), count(*) filter (where user_id is null) from sign_in_failures where at >= @from", new { from }, cancellationToken: ct));
        var accounts = (await connection.QueryAsync<(Guid UserId, string? Email, byte[]? EmailEncrypted, long Failures, DateTimeOffset LastAt)>(new CommandDefinition("""
            select f.user_id, u.email, u.email_encrypted, count(*) as failures, max(f.at) as last_at
            from sign_in_failures f left join users u on u.id = f.user_id
            where f.at >= @from and f.user_id is not null group by f.user_id, u.email, u.email_encrypted order by failures desc, last_at desc limit @top
            """, new { from, top }, cancellationToken: ct)))
            .Select(a => new AccountSignInFailures(a.UserId, protector.Reveal(a.EmailEncrypted, a.Email, UserFields.Email), a.Failures, a.LastAt));
        var addresses = await connection.QueryAsync<AddressSignInFailures>(new CommandDefinition("""
            select address, count(*) as failures, max(at) as last_at from sign_in_failures
            where at >= @from group by address order by failures desc, last_at desc limit @top
            """, new { from, top }, cancellationToken: ct));
        return new SignInFailureReport(from, totals.Total, totals.Unknown, accounts.ToList(), addresses.ToList());
    }
}

/// <summary>Failed sign-ins are kept <see cref="RetentionClasses.SignInFailures"/> (enough to see a slow guessing campaign).</summary>
public sealed class SignInFailureRetention(NpgsqlDataSource db) : IRetentionRule
{
    public string DataClass => RetentionClasses.SignInFailures.Name;

    public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return RetentionOutcome.Deleted(await scope.ExecuteInBatchesAsync(connection, """
            delete from sign_in_failures where id in (select id from sign_in_failures where at < @defaultCutoff order by at limit @batchSize)
            """, ct));
    }
}
