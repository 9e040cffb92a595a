using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Database;

namespace SmartParking.Server.Platform.Observability;

/// <summary>
/// A business gauge counted by the module that owns the rows (e.g. active reservations), so Observability never reads
/// another module's tables. Every node reports the same deployment-wide figure: aggregate with max(), not sum().
/// </summary>
public sealed record CountGauge(string Name, string Unit, string Description, Func<NpgsqlConnection, CancellationToken, Task<long>> CountAsync);

public static class CountGaugeRegistration
{
    public static IServiceCollection AddCountGauge(this IServiceCollection services, CountGauge gauge) => services.AddSingleton(gauge);
}

/// <summary>
/// Counts every registered gauge every Observability:CountGaugeSeconds in the background, so a scrape never waits for
/// the database. A count that failed is left out of the scrape rather than shown stale.
/// </summary>
internal sealed partial class CountGaugeRefresher : BackgroundService
{
    private readonly IReadOnlyList<CountGauge> _gauges;
    private readonly NpgsqlDataSource _database;
    private readonly TimeSpan _interval;
    private readonly ILogger<CountGaugeRefresher> _logger;
    private readonly StartupState _startup;
    private readonly ConcurrentDictionary<string, long> _latest = new();
    private readonly Meter _meter;

    public CountGaugeRefresher(IEnumerable<CountGauge> gauges, NpgsqlDataSource database, IOptions<ObservabilityOptions> options,
        IMeterFactory meters, StartupState startup, ILogger<CountGaugeRefresher> logger)
    {
        _gauges = [.. gauges];
        _database = database;
        _startup = startup;
        _logger = logger;
        _interval = TimeSpan.FromSeconds(options.Value.CountGaugeSeconds);
        _meter = meters.Create(ObservabilityModule.MeterName + ".Business");
        foreach (var gauge in _gauges)
            _meter.CreateObservableGauge(gauge.Name, () => Observe(gauge.Name), gauge.Unit, gauge.Description);
    }

    private IEnumerable<Measurement<long>> Observe(string name) =>
        _latest.TryGetValue(name, out var value) ? [new Measurement<long>(value)] : [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_gauges.Count == 0) return;
        using var timer = new PeriodicTimer(_interval);
        do await CountAllAsync(stoppingToken);
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One round; none before the migrations are applied (a first start counts tables not made yet).</summary>
    /// <returns>Whether the round counted.</returns>
    internal async Task<bool> CountAllAsync(CancellationToken ct)
    {
        if (!_startup.MigrationsApplied) return false;
        foreach (var gauge in _gauges)
        {
            try
            {
                await using var connection = await _database.OpenConnectionAsync(ct);
                _latest[gauge.Name] = await gauge.CountAsync(connection, ct);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                _latest.TryRemove(gauge.Name, out _);
                LogCountFailed(_logger, gauge.Name, ex.Message);
            }
        }
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count {Gauge}: {Reason}")]
    private static partial void LogCountFailed(ILogger logger, string gauge, string reason);
}
