using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Identity.SignIn;

/// <summary>
/// Slows password and code guessing down without locking anyone out, and without telling which e-mail addresses have
/// accounts. Failed sign-ins are counted in three buckets: the account from this client address (strict: a few failures),
/// the account from anywhere (loose: many failures, and a short longest wait, so guessing from elsewhere cannot keep the
/// owner out for long; an address the account signed in from lately is spared it altogether) and the client address
/// whatever the accounts (password spraying). Past a bucket's count each failure makes the next attempt wait, twice as
/// long each time up to a cap; an attempt that must wait is answered 429 with Retry-After before anything is checked.
/// <para>
/// The buckets are keyed by the e-mail address as typed (normalized), whether an account has it or not, so an unknown
/// address is counted, held back and answered exactly as a wrong password is. An attempt is counted as failed before its
/// password is checked, under the buckets' row locks, so parallel guesses cannot get more attempts through than the
/// count allows; a success then takes its count back (and clears the account's count from that address).
/// </para>
/// </summary>
public sealed class SignInThrottle(NpgsqlDataSource db, IOptions<AuthOptions> options, TimeProvider time)
{
    public const string Message = "Too many failed sign-in attempts; wait a little before trying again.";

    /// <summary>One sign-in attempt, counted as failed until <see cref="SucceededAsync"/> or <see cref="NotAFailureAsync"/> says otherwise.</summary>
    public sealed record Attempt(byte[] Pair, byte[] Account, byte[] Address);

    private sealed class Bucket
    {
        public byte[] Key { get; init; } = [];
        public int Failures { get; init; }
        public DateTimeOffset? LastFailureAt { get; init; }
        public DateTimeOffset? BlockedUntil { get; init; }
        public DateTimeOffset? TrustedUntil { get; init; }
    }

    /// <summary>Refuses the attempt (429) while any bucket it falls in must wait; otherwise counts it as failed.</summary>
    public async Task<Attempt> BeginAsync(string normalizedEmail, IPAddress? address, CancellationToken ct = default)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var from = AddressKey(address);
        var attempt = new Attempt(Key("pair", normalizedEmail, from), Key("account", normalizedEmail), Key("address", from));
        byte[][] keys = [attempt.Pair, attempt.Account, attempt.Address];

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await LockBucketsAsync(connection, keys, now, ct);
        var rows = (await connection.QueryAsync<Bucket>(new CommandDefinition(
            "select bucket as key, failures, last_failure_at, blocked_until, trusted_until from sign_in_throttle where bucket = any(@keys)",
            new { keys }, tx, cancellationToken: ct))).ToList();
        Bucket Row(byte[] key) => rows.Single(r => r.Key.AsSpan().SequenceEqual(key));

        var pair = Row(attempt.Pair);
        var checkAccount = !(pair.TrustedUntil > now);
        var waitUntil = new[] { pair, checkAccount ? Row(attempt.Account) : null, Row(attempt.Address) }
            .Select(b => b?.BlockedUntil).Where(b => b > now).Max();
        if (waitUntil is { } until)
        {
            await tx.RollbackAsync(ct);
            throw new TooManyRequestsException(Message, until - now);
        }

        var forgotten = now - TimeSpan.FromMinutes(o.SignInFailuresForgottenAfterMinutes);
        foreach (var (bucket, limit, cap) in new[]
                 {
                     (pair, o.SignInFailuresPerAccountAndAddress, o.SignInMaxDelaySeconds),
                     (Row(attempt.Account), o.SignInFailuresPerAccount, o.SignInAccountMaxDelaySeconds),
                     (Row(attempt.Address), o.SignInFailuresPerAddress, o.SignInMaxDelaySeconds),
                 })
        {
            var failures = (bucket.LastFailureAt < forgotten ? 0 : bucket.Failures) + 1;
            DateTimeOffset? blockedUntil = failures >= limit ? now + Delay(failures - limit, o.SignInDelaySeconds, cap) : null;
            await connection.ExecuteAsync(new CommandDefinition(
                "update sign_in_throttle set failures = @failures, last_failure_at = @now, seen_at = @now, blocked_until = @blockedUntil where bucket = @key",
                new { failures, now, blockedUntil, key = bucket.Key }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return attempt;
    }

    /// <summary>
    /// A transaction holding the buckets' rows, made first when new. Rows are made (outside the transaction) and locked
    /// in one order, the key's, so attempts sharing buckets cannot deadlock; a row purged in between is made again.
    /// </summary>
    private static async Task<NpgsqlTransaction> LockBucketsAsync(NpgsqlConnection connection, byte[][] keys, DateTimeOffset now, CancellationToken ct)
    {
        for (var round = 1; ; round++)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into sign_in_throttle (bucket, seen_at) select k, @now from unnest(@keys) k order by k on conflict do nothing", new { keys, now }, cancellationToken: ct));
            var tx = await connection.BeginTransactionAsync(ct);
            var locked = (await connection.QueryAsync<byte[]>(new CommandDefinition(
                "select bucket from sign_in_throttle where bucket = any(@keys) order by bucket for update", new { keys }, tx, cancellationToken: ct))).Count();
            if (locked == keys.Length) return tx;
            await tx.DisposeAsync();
            if (round == 3) throw new InvalidOperationException("Sign-in throttle buckets kept disappearing.");
        }
    }

    /// <summary>
    /// The account signed in: its count from this address starts again and the address is known to it for a while; the
    /// account's and the address's counts lose this attempt (not their earlier failures, so a guesser who also owns an
    /// account cannot wipe them by signing in to it).
    /// </summary>
    public async Task SucceededAsync(Attempt attempt)
    {
        var o = options.Value;
        var trustedUntil = o.SignInKnownAddressDays > 0 ? time.GetUtcNow().AddDays(o.SignInKnownAddressDays) : (DateTimeOffset?)null;
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await using var tx = await connection.BeginTransactionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(
            "update sign_in_throttle set failures = 0, blocked_until = null, trusted_until = coalesce(@trustedUntil, trusted_until) where bucket = @key",
            new { trustedUntil, key = attempt.Pair }, tx));
        await TakeBackAsync(connection, tx, attempt.Account, o.SignInFailuresPerAccount);
        await TakeBackAsync(connection, tx, attempt.Address, o.SignInFailuresPerAddress);
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <summary>Neither a failure nor a sign-in (the password was right and the second factor is still to come): the attempt is not counted.</summary>
    public async Task NotAFailureAsync(Attempt attempt)
    {
        var o = options.Value;
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await using var tx = await connection.BeginTransactionAsync(CancellationToken.None);
        await TakeBackAsync(connection, tx, attempt.Pair, o.SignInFailuresPerAccountAndAddress);
        await TakeBackAsync(connection, tx, attempt.Account, o.SignInFailuresPerAccount);
        await TakeBackAsync(connection, tx, attempt.Address, o.SignInFailuresPerAddress);
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <summary>Buckets with nothing left to remember: no recent failure, no wait, no known address.</summary>
    public async Task<int> PurgeAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition("""
            delete from sign_in_throttle
            where seen_at < @forgotten
              and (last_failure_at is null or last_failure_at < @forgotten)
              and (blocked_until is null or blocked_until < @now)
              and (trusted_until is null or trusted_until < @now)
            """, new { now, forgotten = now - TimeSpan.FromMinutes(options.Value.SignInFailuresForgottenAfterMinutes) }, cancellationToken: ct));

    private static Task TakeBackAsync(NpgsqlConnection connection, NpgsqlTransaction tx, byte[] key, int limit) =>
        connection.ExecuteAsync(new CommandDefinition("""
            update sign_in_throttle set failures = greatest(failures - 1, 0),
                blocked_until = case when failures - 1 < @limit then null else blocked_until end
            where bucket = @key
            """, new { key, limit }, tx));

    /// <summary>The wait after the <paramref name="beyond"/>-th failure past the count: doubling from the first delay, at most <paramref name="capSeconds"/>.</summary>
    private static TimeSpan Delay(int beyond, int firstSeconds, int capSeconds) =>
        TimeSpan.FromSeconds(Math.Min(capSeconds, firstSeconds * Math.Pow(2, Math.Min(beyond, 30))));

    /// <summary>
    /// The client as the throttle counts it: an IPv4 address, or an IPv6 address's /64 (one subscriber's network: a
    /// guesser has all of its addresses).
    /// </summary>
    internal static string AddressKey(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private static byte[] Key(params string[] parts) => SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)));
}

/// <summary>Forgets sign-in buckets that no longer hold anything back (on the node running the scheduled jobs).</summary>
public sealed class SignInThrottlePurge(NpgsqlDataSource db, SignInThrottle throttle) : IScheduledJob
{
    public string Name => "sign-in-throttle-purge";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await throttle.PurgeAsync(connection, now, ct);
    }
}
