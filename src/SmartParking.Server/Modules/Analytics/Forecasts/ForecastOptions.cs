using System.ComponentModel.DataAnnotations;
using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Server.Modules.Analytics.Forecasts;

/// <summary>Analytics:Forecast: when tenants' forecast models are retrained and how.</summary>
public sealed class ForecastOptions
{
    public const string Section = "Analytics:Forecast";

    /// <summary>Off: models are trained only on demand (POST …/forecast/retrain).</summary>
    public bool Scheduled { get; set; } = true;

    /// <summary>A tenant's model is retrained once this many days have passed since the last one.</summary>
    [Range(1, 365)] public int RetrainEveryDays { get; set; } = 7;

    /// <summary>Model versions kept per tenant: the active one and those before it.</summary>
    [Range(1, 100)] public int KeepVersions { get; set; } = 5;

    /// <summary>Days of history a model trains on (the newest); older hours add little and cost time.</summary>
    [Range(21, 3650)] public int TrainingDays { get; set; } = 120;

    /// <summary>Days held out at the end of each lot's history for the backtest stored with the model.</summary>
    [Range(1, 30)] public int BacktestDays { get; set; } = 7;

    public ForecastLearner Learner { get; set; } = ForecastLearner.FastTree;

    /// <summary>Boosted trees per fit: more predicts a little better and trains slower.</summary>
    [Range(1, 2000)] public int Trees { get; set; } = 100;

    /// <summary>Examples a tree leaf needs; small tenants with few lots need fewer.</summary>
    [Range(1, 100_000)] public int MinimumExamplesPerLeaf { get; set; } = 500;

    public ForecastSettings Settings => new(Learner, Trees, MinimumExamplesPerLeaf: MinimumExamplesPerLeaf);
}
