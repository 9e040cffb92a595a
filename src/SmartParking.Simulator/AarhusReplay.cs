using System.Globalization;
using System.Text;

namespace SmartParking.Simulator;

/// <summary>
/// Replays the CityPulse Aarhus garage counts (data/aarhus) as space events: whenever a garage's vehicle
/// count changes, that many of its spaces flip, so the platform sees what the city saw, time-compressed.
/// </summary>
public sealed class AarhusReplay(SimCredentials credentials, TextWriter output)
{
    private sealed record Row(DateTime At, string Garage, int Vehicles, int Total);

    public async Task RunAsync(string csvPath, double speed, DateTime? from, TimeSpan span, CancellationToken ct)
    {
        var rows = Load(csvPath).Where(r => from is null || r.At >= from).OrderBy(r => r.At).ToList();
        if (rows.Count == 0) throw new InvalidOperationException("No rows to replay in that period.");
        var start = rows[0].At;
        rows = rows.Where(r => r.At < start + span).ToList();
        var byGarage = credentials.Sensors.Where(s => s.LotExternalId?.StartsWith("urn:aarhus:garage:", StringComparison.Ordinal) == true)
            .GroupBy(s => s.LotExternalId!["urn:aarhus:garage:".Length..])
            .ToDictionary(g => g.Key, g => g.Select(s => s.Serial).ToList());
        if (byGarage.Count == 0) throw new InvalidOperationException("The credentials hold no Aarhus garage sensors: run the demo server and provision with enough --sensors (e.g. 5000).");
        var occupied = byGarage.ToDictionary(g => g.Key, _ => new HashSet<string>());
        using var http = new HttpClient { BaseAddress = new Uri(credentials.Url) };
        http.DefaultRequestHeaders.Add("X-Gateway-Key", credentials.GatewayKey);
        var random = new Random(22);
        output.WriteLine($"Replaying {rows.Count:N0} garage counts from {start:yyyy-MM-dd HH:mm} at {speed}x over {byGarage.Count} garages");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var step in rows.GroupBy(r => r.At))
        {
            var due = TimeSpan.FromSeconds((step.Key - start).TotalSeconds / speed) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, ct);
            var readings = new List<(string Serial, bool Occupied)>();
            foreach (var row in step)
            {
                if (!byGarage.TryGetValue(row.Garage, out var serials)) continue;
                var taken = occupied[row.Garage];
                // The series has counts above capacity (BUSGADEHUSET); a garage cannot be more than full.
                var target = Math.Clamp(row.Vehicles * serials.Count / Math.Max(row.Total, 1), 0, serials.Count);
                while (taken.Count < target)
                {
                    var s = serials[random.Next(serials.Count)];
                    if (taken.Add(s)) readings.Add((s, true));
                }
                while (taken.Count > target)
                {
                    var s = taken.ElementAt(random.Next(taken.Count));
                    taken.Remove(s);
                    readings.Add((s, false));
                }
            }
            var now = DateTimeOffset.UtcNow;
            foreach (var chunk in readings.Chunk(1000))
            {
                var body = new StringBuilder("{\"readings\":[");
                for (var i = 0; i < chunk.Length; i++)
                    body.Append(CultureInfo.InvariantCulture, $"{(i > 0 ? "," : "")}{{\"sensorId\":\"{chunk[i].Serial}\",\"status\":\"{(chunk[i].Occupied ? "occupied" : "free")}\",\"observedAt\":\"{now.AddTicks(i):O}\"}}");
                body.Append("]}");
                using var response = await http.PostAsync("/api/v1/ingest/readings", new StringContent(body.ToString(), Encoding.UTF8, "application/json"), ct);
                if (!response.IsSuccessStatusCode) output.WriteLine($"  batch refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
            output.WriteLine($"{step.Key:yyyy-MM-dd HH:mm}  {string.Join("  ", occupied.Select(o => $"{o.Key} {o.Value.Count}/{byGarage[o.Key].Count}"))}");
        }
    }

    private static IEnumerable<Row> Load(string path)
    {
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length < 5) continue;
            if (!int.TryParse(f[0], CultureInfo.InvariantCulture, out var vehicles) || !int.TryParse(f[3], CultureInfo.InvariantCulture, out var total)) continue;
            if (!DateTime.TryParse(f[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var at)) continue;
            // Rows are every ~30 min but not on the same second across garages: group to the minute.
            yield return new Row(new DateTime(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0), f[4], vehicles, total);
        }
    }
}
