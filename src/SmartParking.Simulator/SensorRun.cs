using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace SmartParking.Simulator;

/// <summary>Drives simulated sensors at a target rate over HTTP batches or MQTT and prints rates while it runs.</summary>
public sealed class SensorRun(SimCredentials credentials, TextWriter output)
{
    private long _sent;
    private long _acked;
    private long _failed;

    public long Acked => Interlocked.Read(ref _acked);

    /// <summary>Daily occupancy the simulated city follows: quiet at night, ~85% at 13:00.</summary>
    public static double Occupancy(DateTimeOffset localTime)
    {
        var hour = localTime.Hour + localTime.Minute / 60.0;
        return 0.15 + 0.7 * Math.Exp(-Math.Pow((hour - 13) / 4.0, 2));
    }

    public async Task<double> RunHttpAsync(int ratePerSecond, TimeSpan duration, int workers, int batchSize, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = workers }) { BaseAddress = new Uri(credentials.Url) };
        http.DefaultRequestHeaders.Add("X-Gateway-Key", credentials.GatewayKey);
        return await RunAsync(duration, ratePerSecond, workers, async (pace, token) =>
        {
            var random = new Random();
            while (!token.IsCancellationRequested)
            {
                var body = new StringBuilder("{\"readings\":[");
                var now = DateTimeOffset.UtcNow;
                var p = Occupancy(now.ToLocalTime());
                for (var i = 0; i < batchSize; i++)
                {
                    var s = credentials.Sensors[random.Next(credentials.Sensors.Count)];
                    // Distinct observation times, so no reading is an exact duplicate of another.
                    var at = now.AddTicks(i).ToString("O", CultureInfo.InvariantCulture);
                    body.Append(CultureInfo.InvariantCulture, $"{(i > 0 ? "," : "")}{{\"sensorId\":\"{s.Serial}\",\"status\":\"{(random.NextDouble() < p ? "occupied" : "free")}\",\"observedAt\":\"{at}\"}}");
                }
                body.Append("]}");
                await pace(batchSize, token);
                Interlocked.Add(ref _sent, batchSize);
                using var response = await http.PostAsync("/api/v1/ingest/readings", new StringContent(body.ToString(), Encoding.UTF8, "application/json"), token);
                if ((int)response.StatusCode == 202) Interlocked.Add(ref _acked, batchSize);
                else Interlocked.Add(ref _failed, batchSize);
            }
        }, ct);
    }

    public async Task<double> RunMqttAsync(string host, int port, int ratePerSecond, TimeSpan duration, int connections, int qos, CancellationToken ct)
    {
        var devices = credentials.Sensors.Where(s => s.Secret is not null).Take(connections).ToList();
        if (devices.Count == 0) throw new InvalidOperationException("No device secrets in the credentials file: provision with --transport mqtt.");
        var clients = new List<(MqttClient Client, SimSensor Sensor)>();
        foreach (var d in devices)
        {
            var client = new MqttClient();
            await client.ConnectAsync(host, port, "sim-" + d.Serial, d.Serial, d.Secret!, ct);
            clients.Add((client, d));
        }
        var next = -1;
        try
        {
            return await RunAsync(duration, ratePerSecond, clients.Count, async (pace, token) =>
            {
                var (client, sensor) = clients[Interlocked.Increment(ref next) % clients.Count];
                var random = new Random();
                var topic = $"parking/sensors/{sensor.Serial}/status";
                var tick = 0L;
                while (!token.IsCancellationRequested)
                {
                    var now = DateTimeOffset.UtcNow.AddTicks(tick++ % 10_000);
                    var payload = Encoding.UTF8.GetBytes($"{{\"status\":\"{(random.NextDouble() < Occupancy(now.ToLocalTime()) ? "occupied" : "free")}\",\"observedAt\":\"{now:O}\"}}");
                    await pace(1, token);
                    Interlocked.Increment(ref _sent);
                    try
                    {
                        await client.PublishAsync(topic, payload, qos, token);
                        Interlocked.Increment(ref _acked);
                    }
                    catch (IOException) { Interlocked.Increment(ref _failed); return; }
                }
            }, ct);
        }
        finally
        {
            foreach (var (client, _) in clients) await client.DisposeAsync();
        }
    }

    /// <summary>Runs the workers for the duration, pacing the total rate (0 = as fast as possible); returns acknowledged readings per second.</summary>
    private async Task<double> RunAsync(TimeSpan duration, int ratePerSecond, int workers, Func<Func<int, CancellationToken, Task>, CancellationToken, Task> worker, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(duration);
        var clock = Stopwatch.StartNew();
        long budget = 0;
        async Task Pace(int n, CancellationToken token)
        {
            if (ratePerSecond <= 0) return;
            var mine = Interlocked.Add(ref budget, n);
            var due = TimeSpan.FromSeconds((double)mine / ratePerSecond) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, token);
        }
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            try { await worker(Pace, stop.Token); }
            catch (OperationCanceledException) { }
            catch (HttpRequestException) when (stop.IsCancellationRequested) { }
        })).ToList();
        var last = 0L;
        while (!Task.WhenAll(tasks).IsCompleted)
        {
            await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(1000, CancellationToken.None));
            var acked = Acked;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{clock.Elapsed.TotalSeconds,6:F1} s  sent {Interlocked.Read(ref _sent),10:N0}  acknowledged {acked,10:N0}  failed {Interlocked.Read(ref _failed),8:N0}  {acked - last,8:N0}/s"));
            last = acked;
        }
        return Acked / clock.Elapsed.TotalSeconds;
    }
}
