using System.Globalization;
using System.Text;
using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Tests.Analytics.Forecasting;

public sealed class ForecastBacktestCommandTests : IDisposable
{
    private readonly string file = Path.Combine(Path.GetTempPath(), $"forecast-{Guid.NewGuid():N}.csv");

    public void Dispose() => File.Delete(file);

    private (int Exit, string[] Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = ForecastBacktestCommand.Run(args, output, error);
        return (exit, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), error.ToString());
    }

    [Fact]
    public void ImportShapeCsv_PrintsALinePerLotAndOverallLast()
    {
        var csv = new StringBuilder("lot,capacity,occupied,observed_at\n");
        foreach (var (lot, capacity) in new[] { ("north", 200), ("south", 80) })
        {
            var series = Synthetic.Lot(lot, 35, 0.2, 0.01, seed: capacity);
            for (var h = 0; h < series.Share.Length; h++)
                csv.Append(CultureInfo.InvariantCulture, $"{lot},{capacity},{Math.Round(series.Share[h] * capacity)},{series.StartUtc.AddHours(h).AddMinutes(20):yyyy-MM-dd'T'HH:mm:ss'Z'}\n");
        }
        File.WriteAllText(file, csv.ToString());

        var (exit, output, error) = Run("--csv", file, "--holdout-days", "7", "--country", "DK");

        error.ShouldBeEmpty();
        exit.ShouldBe(0);
        output[0].ShouldStartWith("data shape=import timezone=UTC holidays=DK lots=2 holdout_days=7");
        output.Where(l => l.StartsWith("lot=", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ShouldBe(["lot=north", "lot=south"]);
        output[^1].ShouldStartWith("overall hours=336 model_mae=");
        foreach (var field in new[] { "model_rmse=", "naive_mae=", "naive_rmse=", "median4w_mae=", "median4w_rmse=", "model_to_naive_mae=" })
            output[^1].ShouldContain(field);
    }

    [Fact]
    public void BadHeader_ExitsNonZeroNamingTheMissingColumns()
    {
        File.WriteAllText(file, "lot,spaces,occupied,observed_at\nA,10,1,2024-03-01T10:00:00Z\n");

        var (exit, output, error) = Run("--csv", file);

        exit.ShouldNotBe(0);
        output.ShouldBeEmpty();
        error.ShouldContain("missing columns: capacity");
    }

    [Theory]
    [InlineData("--holdout-days", "31")]
    [InlineData("--timezone", "Mars/Olympus")]
    [InlineData("--country", "XX")]
    public void BadOption_ExitsNonZeroNamingIt(string option, string value)
    {
        File.WriteAllText(file, "lot,capacity,occupied,observed_at\nA,10,1,2024-03-01T10:00:00Z\n");

        var (exit, _, error) = Run("--csv", file, option, value);

        exit.ShouldBe(1);
        error.ShouldContain(option);
    }
}
