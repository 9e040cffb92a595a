using System.Globalization;
using System.Text;

namespace SmartParking.Bench;

/// <summary>Whether more or less is better for a figure, which decides how it is compared with its target.</summary>
internal enum Better { Higher, Lower }

internal sealed record ResultRow(string Benchmark, string Metric, double Value, string Unit, double? Target, Better Better, string Note)
{
    /// <summary>Measured over target: ≥ 1 meets a throughput target, ≤ 1 meets a latency or memory limit.</summary>
    public double? Ratio => Target is { } t && t != 0 && !double.IsNaN(Value) ? Value / t : null;

    // Compared directly rather than through the ratio, so a target of zero ("no reading lost") has a verdict too.
    public string Verdict => Target is not { } t || double.IsNaN(Value) ? "" : (Better == Better.Higher ? Value >= t : Value <= t) ? "meets" : "MISSES";
}

/// <summary>Collects every benchmark's figures and prints them as one table (Markdown, so it can go into RESULTS.md as is).</summary>
internal sealed class Report
{
    private readonly List<ResultRow> _rows = [];
    private readonly List<string> _notes = [];

    public void Add(string benchmark, string metric, double value, string unit, double? target = null, Better better = Better.Higher, string note = "") =>
        _rows.Add(new ResultRow(benchmark, metric, value, unit, target, better, note));

    public void Note(string note) => _notes.Add(note);

    public string Render(string machine, string load, string command)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"Date (UTC): {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}");
        text.AppendLine(inv, $"Machine:    {machine}");
        text.AppendLine(inv, $"Load:       {load}");
        text.AppendLine(inv, $"Command:    {command}");
        text.AppendLine();
        text.AppendLine("| benchmark | metric | measured | target | ratio | verdict | notes |");
        text.AppendLine("|---|---|---:|---:|---:|---|---|");
        foreach (var r in _rows)
        {
            var target = r.Target is { } t ? (r.Better == Better.Higher ? "≥ " : "≤ ") + Format(t, r.Unit) : "";
            var ratio = r.Ratio is { } x ? x.ToString("F2", inv) + "×" : "";
            text.AppendLine(inv, $"| {r.Benchmark} | {r.Metric} | {Format(r.Value, r.Unit)} | {target} | {ratio} | {r.Verdict} | {r.Note} |");
        }
        if (_notes.Count > 0)
        {
            text.AppendLine();
            foreach (var n in _notes) text.AppendLine(inv, $"- {n}");
        }
        return text.ToString();
    }

    private static string Format(double value, string unit) =>
        double.IsNaN(value) ? "n/a" : unit switch
        {
            "ms" => value.ToString("F2", CultureInfo.InvariantCulture) + " ms",
            "MB" => value.ToString("F0", CultureInfo.InvariantCulture) + " MB",
            "h" => value.ToString("F1", CultureInfo.InvariantCulture) + " h",
            _ => value.ToString("N0", CultureInfo.InvariantCulture) + (unit.Length > 0 ? " " + unit : ""),
        };
}
