using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Server.Modules.Analytics.Forecasts;

/// <summary>A stored model version as operators see it (without its bytes).</summary>
public sealed record ForecastModelVersion(Guid Id, int Version, string Status, DateTimeOffset TrainedAt, DateTimeOffset TrainedFrom, DateTimeOffset TrainedTo,
    int Lots, int Hours, string Learner, string FeatureLayout, double? BacktestMae, double? BacktestRmse, double? SeasonalNaiveMae, double? SeasonalNaiveRmse,
    double TrainingSeconds);

/// <summary>What a training run stores besides the model itself.</summary>
public sealed record TrainedModel(OccupancyForecastModel Model, DateTimeOffset TrainedAt, int Lots, int Hours, Errors? Backtest, Errors? SeasonalNaive);

/// <summary>The forecast_models table: versions per tenant, the newest active.</summary>
public sealed class ForecastModels(NpgsqlDataSource db)
{
    private const string Columns = """
        id, version, status, trained_at, trained_from, trained_to, lots, hours, learner, feature_layout, backtest_mae, backtest_rmse,
        seasonal_naive_mae, seasonal_naive_rmse, training_seconds
        """;

    public async Task<IReadOnlyList<ForecastModelVersion>> ListAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ForecastModelVersion>(new CommandDefinition(
            $"select {Columns} from forecast_models where tenant_id = @tenantId order by version desc", new { tenantId }, cancellationToken: ct))).ToList();
    }

    public async Task<ForecastModelVersion?> ActiveAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ActiveAsync(connection, tenantId, ct);
    }

    public static Task<ForecastModelVersion?> ActiveAsync(NpgsqlConnection connection, Guid tenantId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<ForecastModelVersion>(new CommandDefinition(
            $"select {Columns} from forecast_models where tenant_id = @tenantId and status = 'active'", new { tenantId }, cancellationToken: ct));

    /// <summary>The active version's number only: what every forecast checks against its cached model.</summary>
    public async Task<int?> ActiveVersionAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "select version from forecast_models where tenant_id = @tenantId and status = 'active'", new { tenantId }, cancellationToken: ct));
    }

    /// <summary>A version's model bytes, or null when that version is gone (pruned since it was looked up).</summary>
    public async Task<byte[]?> BytesAsync(Guid tenantId, int version, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition(
            "select model from forecast_models where tenant_id = @tenantId and version = @version", new { tenantId, version }, cancellationToken: ct));
    }

    /// <summary>
    /// Stores a new version as the active one, the one before it as previous, and drops versions beyond
    /// <paramref name="keep"/>: one transaction, so readers see the old model or the new one, never neither.
    /// </summary>
    public static async Task<ForecastModelVersion> AddAsync(NpgsqlConnection connection, Guid tenantId, TrainedModel trained, int keep, CancellationToken ct)
    {
        using var bytes = new MemoryStream();
        trained.Model.Save(bytes);
        var info = trained.Model.Info;
        await using var tx = await connection.BeginTransactionAsync(ct);
        var version = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "select coalesce(max(version), 0) + 1 from forecast_models where tenant_id = @tenantId", new { tenantId }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "update forecast_models set status = 'previous' where tenant_id = @tenantId and status = 'active'", new { tenantId }, tx, cancellationToken: ct));
        var stored = await connection.QuerySingleAsync<ForecastModelVersion>(new CommandDefinition($"""
            insert into forecast_models (id, tenant_id, version, status, trained_at, trained_from, trained_to, lots, hours, learner, feature_layout,
                backtest_mae, backtest_rmse, seasonal_naive_mae, seasonal_naive_rmse, training_seconds, model)
            values (@id, @tenantId, @version, 'active', @trainedAt, @from, @to, @lots, @hours, @learner, @layout,
                @mae, @rmse, @naiveMae, @naiveRmse, @seconds, @model)
            returning {Columns}
            """, new
            {
                id = Guid.CreateVersion7(), tenantId, version, trainedAt = trained.TrainedAt,
                from = new DateTimeOffset(DateTime.SpecifyKind(info.TrainedFromUtc, DateTimeKind.Utc)),
                to = new DateTimeOffset(DateTime.SpecifyKind(info.TrainedToUtc, DateTimeKind.Utc)),
                lots = trained.Lots, hours = trained.Hours, learner = info.Learner, layout = OccupancyForecastModel.FeatureLayout,
                mae = trained.Backtest?.Mae, rmse = trained.Backtest?.Rmse, naiveMae = trained.SeasonalNaive?.Mae, naiveRmse = trained.SeasonalNaive?.Rmse,
                seconds = info.TrainingTime.TotalSeconds, model = bytes.ToArray(),
            }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "delete from forecast_models where tenant_id = @tenantId and version <= @version - @keep", new { tenantId, version, keep }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return stored;
    }
}
