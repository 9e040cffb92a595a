using System.IO.Compression;
using System.Text.Json.Nodes;
using SmartParking.Server.Modules.Analytics.Forecasting;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Analytics.Forecasting;

[LongRunFirst]
public sealed class ForecastModelStorageTests
{
    private static readonly LotHistory[] Lots = [Synthetic.Lot("a", 56, 0.2, 0.01, seed: 11), Synthetic.Lot("b", 56, 0.3, 0, seed: 12)];
    private static readonly DateTime Cut = Synthetic.Start.AddDays(56);

    private static byte[] Saved()
    {
        var model = OccupancyForecaster.Train(Lots, Cut, Synthetic.FastSettings with { Trees = 10 }).Model;
        using var stream = new MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }

    [Fact]
    public void SavedAndLoaded_ForecastsExactlyAsTheTrainedModel()
    {
        var model = OccupancyForecaster.Train(Lots, Cut, Synthetic.FastSettings with { Trees = 10 }).Model;
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;

        var loaded = OccupancyForecastModel.Load(stream);

        loaded.Info.ShouldBe(model.Info);
        foreach (var lot in Lots)
            loaded.Forecast(lot, Cut, days: 30).Hours.ShouldBe(model.Forecast(lot, Cut, days: 30).Hours);
    }

    [Fact]
    public void Load_ModelSavedWithOtherFeatures_SaysSo()
    {
        using var stream = new MemoryStream();
        stream.Write(Saved());
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = archive.GetEntry("state.json")!;
            JsonNode state;
            using (var read = entry.Open()) state = JsonNode.Parse(read)!;
            state["featureLayout"] = "f0/3";
            entry.Delete();
            using var write = archive.CreateEntry("state.json").Open();
            write.Write(System.Text.Encoding.UTF8.GetBytes(state.ToJsonString()));
        }
        stream.Position = 0;

        Should.Throw<InvalidDataException>(() => OccupancyForecastModel.Load(stream)).Message.ShouldContain("f0/3");
    }
}
