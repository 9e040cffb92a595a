using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Analytics.Forecasting;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Analytics.Forecasts;

/// <summary>
/// Starts a retrain for each tenant with recent hourly occupancy whose active model is older than
/// Analytics:Forecast:RetrainEveryDays (or missing, or made for other features). Training runs off the job loop.
/// </summary>
public sealed class ForecastRetrainJob(NpgsqlDataSource db, ForecastTrainer trainer, IOptions<ForecastOptions> options) : IScheduledJob
{
    public string Name => "forecast-retrain";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (!options.Value.Scheduled) return;
        foreach (var tenantId in await DueAsync(now, ct))
            trainer.Start(tenantId, now);
    }

    /// <summary>
    /// Tenants whose model is due, among those with occupancy in the last day (others have nothing new to learn) and
    /// from at least the model's minimum history ago (younger ones cannot be trained yet).
    /// </summary>
    public async Task<IReadOnlyList<Guid>> DueAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition("""
            select h.tenant_id from (select distinct tenant_id from lot_occupancy_hourly where hour >= @now - interval '1 day') h
            left join forecast_models m on m.tenant_id = h.tenant_id and m.status = 'active'
            where (m.id is null or m.trained_at <= @now - make_interval(days => @days) or m.feature_layout <> @layout)
              and exists (select 1 from lot_occupancy_hourly o where o.tenant_id = h.tenant_id and o.hour < @now - make_interval(days => @minimumDays))
            """, new { now, days = options.Value.RetrainEveryDays, layout = OccupancyForecastModel.FeatureLayout,
                minimumDays = options.Value.Settings.MinimumHistoryDays }, cancellationToken: ct))).ToList();
    }
}
