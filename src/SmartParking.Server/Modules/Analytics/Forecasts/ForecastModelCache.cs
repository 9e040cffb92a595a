using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Server.Modules.Analytics.Forecasts;

/// <summary>A tenant's active model as loaded on this node; Model is null when the stored one cannot be used by this build.</summary>
public sealed record ActiveForecastModel(ForecastModelVersion Version, OccupancyForecastModel? Model);

/// <summary>
/// Each tenant's active model, loaded once per node: every use asks the database only for the active version number
/// (one indexed row) and loads the model again only when it has changed.
/// </summary>
public sealed class ForecastModelCache(ForecastModels models, ILogger<ForecastModelCache> logger)
{
    private readonly Dictionary<Guid, ActiveForecastModel> loaded = [];
    private readonly Lock gate = new();
    private readonly SemaphoreSlim loading = new(1, 1);

    /// <summary>The tenant's active model, or null when it has none.</summary>
    public async Task<ActiveForecastModel?> ActiveAsync(Guid tenantId, CancellationToken ct)
    {
        if (await models.ActiveVersionAsync(tenantId, ct) is not { } version) return null;
        if (Cached(tenantId, version) is { } hit) return hit;
        await loading.WaitAsync(ct);
        try
        {
            if (Cached(tenantId, version) is { } loadedMeanwhile) return loadedMeanwhile;
            // Between the version check and here a newer version may have replaced it: take whatever is active now.
            if (await models.ActiveAsync(tenantId, ct) is not { } active) return null;
            var bytes = await models.BytesAsync(tenantId, active.Version, ct);
            var entry = new ActiveForecastModel(active, bytes is null ? null : Load(tenantId, active.Version, bytes));
            lock (gate) loaded[tenantId] = entry;
            return entry;
        }
        finally
        {
            loading.Release();
        }
    }

    private ActiveForecastModel? Cached(Guid tenantId, int version)
    {
        lock (gate) return loaded.TryGetValue(tenantId, out var entry) && entry.Version.Version == version ? entry : null;
    }

    private OccupancyForecastModel? Load(Guid tenantId, int version, byte[] bytes)
    {
        try
        {
            return OccupancyForecastModel.Load(new MemoryStream(bytes, writable: false));
        }
        catch (InvalidDataException e)
        {
            // Trained by an older build with other features: forecasts use the baseline until the retrain job replaces it.
            logger.LogWarning("Forecast model {Version} of tenant {Tenant} cannot be used: {Reason}", version, tenantId, e.Message);
            return null;
        }
    }
}
