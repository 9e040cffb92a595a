using System.Diagnostics;
using Dapper;
using Npgsql;

namespace SmartParking.Server.Platform.Scheduling;

/// <summary>
/// Background work over a whole city, done in slices with a pause after each twice as long as the slice took. A pass
/// that holds a core (of the server or of PostgreSQL) for a second stalls every request queued behind it on a small
/// box; paced, it takes a third of a core at most and requests are served between its slices.
/// </summary>
public static class Paced
{
    /// <summary>Runs <paramref name="slice"/> until it returns false (nothing left), pausing after each run twice as long as it took.</summary>
    public static async Task UntilDoneAsync(Func<CancellationToken, Task<bool>> slice, CancellationToken ct)
    {
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            if (!await slice(ct)) return;
            // Wall-clock time, not the app's TimeProvider: the pause makes room for CPU, and a test's frozen clock must not hold it.
            await Task.Delay(2 * Stopwatch.GetElapsedTime(started), ct);
        }
    }

    public static async Task ForEachSliceAsync<T>(IEnumerable<T> items, int sliceSize, Func<T[], CancellationToken, Task> work, CancellationToken ct)
    {
        using var slices = items.Chunk(sliceSize).GetEnumerator();
        if (!slices.MoveNext()) return;
        await UntilDoneAsync(async token =>
        {
            await work(slices.Current, token);
            return slices.MoveNext();
        }, ct);
    }
}

/// <summary>
/// A range (<see cref="After"/>, <see cref="Until"/>] of a table's uuid key, for a pass over a big table a slice at a
/// time: each slice reads its range through the key's index, so it costs its own rows, not the table's.
/// </summary>
public readonly record struct KeyRange(Guid After, Guid Until)
{
    /// <summary>Every key: ids are generated, never the nil uuid, and PostgreSQL orders uuids bytewise.</summary>
    public static readonly KeyRange All = new(Guid.Empty, Guid.AllBitsSet);

    public bool IsLast => Until == Guid.AllBitsSet;

    /// <summary>
    /// The ranges of <paramref name="key"/> in <paramref name="table"/> holding about <paramref name="size"/> rows each,
    /// one at a time (the next is found when asked for, so rows added meanwhile are not missed); null after the last.
    /// </summary>
    public static async Task<KeyRange?> NextAsync(NpgsqlConnection connection, string table, string key, KeyRange? previous, int size, CancellationToken ct)
    {
        if (previous is { IsLast: true }) return null;
        var after = previous?.Until ?? Guid.Empty;
        var until = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            $"select {key} from {table} where {key} > @after order by {key} offset @skip limit 1", new { after, skip = size - 1 }, cancellationToken: ct));
        return new KeyRange(after, until ?? Guid.AllBitsSet);
    }

    /// <summary>Runs <paramref name="work"/> on each range of about <paramref name="size"/> rows in turn, <see cref="Paced"/>.</summary>
    public static Task ForEachAsync(NpgsqlConnection connection, string table, string key, int size, Func<KeyRange, CancellationToken, Task> work, CancellationToken ct)
    {
        KeyRange? range = null;
        return Paced.UntilDoneAsync(async token =>
        {
            if ((range = await NextAsync(connection, table, key, range, size, token)) is not { } slice) return false;
            await work(slice, token);
            return true;
        }, ct);
    }
}
