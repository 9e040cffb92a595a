using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Platform.Database;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>
/// Tells this node's availability which spaces are reserved right now. A change on any node is announced on the
/// reservations channel so every node reloads at once; a timer catches windows that start or end by the clock.
/// </summary>
public sealed class ReservedSpaces : BackgroundService
{
    private readonly NpgsqlDataSource _db;
    private readonly AvailabilityModel _availability;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger<ReservedSpaces> _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private static readonly TimeSpan CoalesceWindow = TimeSpan.FromMilliseconds(100);

    public ReservedSpaces(NpgsqlDataSource db, AvailabilityModel availability, PostgresNotifications notifications, IOptions<ReservationOptions> options,
        TimeProvider time, ILogger<ReservedSpaces> logger)
    {
        _db = db;
        _availability = availability;
        _time = time;
        _interval = TimeSpan.FromSeconds(options.Value.SweepSeconds);
        _logger = logger;
        notifications.Subscribe(PostgresNotifications.ReservationsChannel, _ => Wake());
    }

    /// <summary>
    /// Tells every node (this one too) that reservations changed, on the caller's connection: inside a transaction the
    /// notice goes out with the commit, and no extra connection is taken per booking.
    /// </summary>
    public static Task AnnounceAsync(NpgsqlConnection connection, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(AnnounceSql, cancellationToken: ct));

    public const string AnnounceSql = $"select pg_notify('{PostgresNotifications.ReservationsChannel}', '')";

    private void Wake()
    {
        try { _wake.Release(); }
        catch (SemaphoreFullException) { }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                _logger.LogWarning("Loading reserved spaces failed: {Error}", e.Message);
            }
            try
            {
                // Notices in a burst (a rush of bookings) are taken together: at most one reload per CoalesceWindow.
                await Task.Delay(CoalesceWindow, _time, stoppingToken);
                await _wake.WaitAsync(_interval, stoppingToken);
            }
            catch (OperationCanceledException) { return; }
        }
    }

    public async Task RefreshAsync(CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        var spaces = await connection.QueryAsync<Guid>(new CommandDefinition(
            "select space_id from reservations where status in ('held', 'confirmed') and during @> @now::timestamptz",
            new { now = _time.GetUtcNow() }, cancellationToken: ct));
        _availability.SetReserved(spaces.ToHashSet());
    }
}
