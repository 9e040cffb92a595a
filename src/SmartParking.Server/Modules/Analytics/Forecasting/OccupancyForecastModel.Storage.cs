using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.ML;

namespace SmartParking.Server.Modules.Analytics.Forecasting;

/// <summary>
/// A model as bytes, so one node trains it and every node serves it: a zip of ML.NET's own model zip and a JSON of the
/// rest (what it is, how it was trained, its band's percentiles). The only place that knows the layout.
/// </summary>
public sealed partial class OccupancyForecastModel
{
    private const string LearnerEntry = "learner.zip";
    private const string StateEntry = "state.json";

    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The features this build computes; a model saved with others cannot be scored and must be retrained.</summary>
    public static string FeatureLayout => $"{OccupancyForecaster.FeatureSet}/{ForecastFeatures.Count}";

    public void Save(Stream stream)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        var learner = new MemoryStream();
        ml.Model.Save(model, ml.Data.LoadFromEnumerable(Array.Empty<ForecastExample>()).Schema, learner);
        using (var entry = archive.CreateEntry(LearnerEntry, CompressionLevel.NoCompression).Open())
            entry.Write(learner.GetBuffer(), 0, (int)learner.Length);
        var state = new JsonObject
        {
            ["featureLayout"] = FeatureLayout,
            ["info"] = JsonSerializer.SerializeToNode(Info, StateJson),
            ["settings"] = JsonSerializer.SerializeToNode(settings, StateJson),
            ["bands"] = JsonSerializer.SerializeToNode(bands, StateJson),
        };
        using var stateStream = archive.CreateEntry(StateEntry, CompressionLevel.Optimal).Open();
        using var writer = new Utf8JsonWriter(stateStream);
        state.WriteTo(writer);
    }

    /// <summary>A model saved by <see cref="Save"/>; InvalidDataException when it was saved with other features or is damaged.</summary>
    public static OccupancyForecastModel Load(Stream stream)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        var stateEntry = archive.GetEntry(StateEntry) ?? throw new InvalidDataException($"the model has no {StateEntry}");
        JsonNode state;
        using (var s = stateEntry.Open()) state = JsonNode.Parse(s) ?? throw new InvalidDataException($"{StateEntry} is empty");
        var layout = (string?)state["featureLayout"];
        if (layout != FeatureLayout)
            throw new InvalidDataException($"the model was trained on features {layout}, this build computes {FeatureLayout}");
        var info = state["info"].Deserialize<ForecastModelInfo>(StateJson) ?? throw new InvalidDataException("the model has no info");
        var settings = state["settings"].Deserialize<ForecastSettings>(StateJson) ?? throw new InvalidDataException("the model has no settings");
        var bands = state["bands"].Deserialize<BandPercentiles>(StateJson);
        if (bands?.Lots is null || bands.Pooled is not { Length: BandPercentiles.Weeks }) throw new InvalidDataException("the model has no band of this build's shape");
        var ml = new MLContext(settings.Seed);
        // ML.NET reads its zip by seeking.
        var learner = new MemoryStream();
        using (var entry = (archive.GetEntry(LearnerEntry) ?? throw new InvalidDataException($"the model has no {LearnerEntry}")).Open())
            entry.CopyTo(learner);
        learner.Position = 0;
        var model = ml.Model.Load(learner, out _);
        return new OccupancyForecastModel(ml, model, info, bands, settings);
    }
}
