using System.Collections.Concurrent;
using Npgsql;

namespace SmartParking.Server.Platform.Database;

/// <summary>
/// One LISTEN connection per node, fanned out to in-process subscribers of any channel. After a lost connection it
/// reconnects and tells subscribers to resynchronise, since notifications sent meanwhile are gone.
/// </summary>
public sealed class PostgresNotifications(NpgsqlDataSource db, ILogger<PostgresNotifications> logger) : BackgroundService
{
    public const string SpaceStatusChannel = "space_status";

    private readonly ConcurrentDictionary<string, List<Action<string>>> _handlers = new();
    // Cancelled when a channel is subscribed after the connection is up, so the loop LISTENs to it too.
    private CancellationTokenSource _newChannel = new();
    private readonly List<Action> _resync = [];
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the first LISTEN is in place, so start-up can wait for it before loading state.</summary>
    public Task Listening => _listening.Task;

    public void Subscribe(string channel, Action<string> handler)
    {
        var added = false;
        var list = _handlers.GetOrAdd(channel, _ => { added = true; return []; });
        lock (list) list.Add(handler);
        if (added) _newChannel.Cancel();
    }

    public void OnResync(Action handler) { lock (_resync) _resync.Add(handler); }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);
                var listening = new HashSet<string>();
                await ListenAsync(connection, listening, stoppingToken);
                if (!first)
                {
                    logger.LogInformation("Change feed reconnected; resynchronising");
                    Action[] handlers;
                    lock (_resync) handlers = [.. _resync];
                    foreach (var h in handlers) h();
                }
                first = false;
                delay = TimeSpan.FromMilliseconds(200);
                _listening.TrySetResult();
                while (!stoppingToken.IsCancellationRequested)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _newChannel.Token);
                    try { await connection.WaitAsync(wait.Token); }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        _newChannel = new CancellationTokenSource();
                        await ListenAsync(connection, listening, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or System.IO.IOException)
            {
                logger.LogWarning("Change feed connection lost ({Error}); retrying in {Delay} ms", e.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private async Task ListenAsync(NpgsqlConnection connection, HashSet<string> listening, CancellationToken ct)
    {
        foreach (var channel in _handlers.Keys)
        {
            if (!listening.Add(channel)) continue;
            await using var listen = new NpgsqlCommand($"listen \"{channel.Replace("\"", "\"\"")}\"", connection);
            await listen.ExecuteNonQueryAsync(ct);
        }
    }

    private void Dispatch(string channel, string payload)
    {
        if (!_handlers.TryGetValue(channel, out var list)) return;
        Action<string>[] handlers;
        lock (list) handlers = [.. list];
        foreach (var handler in handlers)
        {
            try { handler(payload); }
            catch (Exception e) { logger.LogError(e, "Change feed handler for {Channel} failed", channel); }
        }
    }
}
