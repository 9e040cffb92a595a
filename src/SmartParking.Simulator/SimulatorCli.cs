using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace SmartParking.Simulator;

/// <summary>A mistake in what the user gave (exit code 2): reported as its message alone.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The simulator's command line; public so the tests can run it with their own output and error writers.</summary>
public static class SimulatorCli
{
    /// <summary>An absolute http or https URL, or a usage error naming the option. Taken as a string: System.CommandLine 2.0.15 cannot parse an Option&lt;Uri&gt;.</summary>
    public static Uri ParseServerUrl(string? value, string option = "--url")
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps) && url.Host.Length > 0)
            return url;
        throw new UsageException($"{option}: '{value}' is not an absolute http or https URL (for example http://localhost:5080).");
    }

    /// <summary>The file's full path, or a usage error naming the option and the path.</summary>
    public static string ExistingFile(FileInfo file, string option) =>
        File.Exists(file.FullName) ? file.FullName : throw new UsageException($"{option}: file not found: {file.FullName}");

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        var url = new Option<string>("--url") { Description = "Server base URL", DefaultValueFactory = _ => "http://localhost:5080" };
        var credentialsFile = new Option<FileInfo>("--credentials") { Description = "Credentials file written by 'provision'", DefaultValueFactory = _ => new FileInfo("sim-credentials.json") };

        // provision
        var demoFile = new Option<FileInfo?>("--demo") { Description = "The demo server's demo-credentials.json (operator sign-in)" };
        var email = new Option<string?>("--email") { Description = "Operator e-mail" };
        var password = new Option<string?>("--password") { Description = "Operator password" };
        var totpKey = new Option<string?>("--totp-key") { Description = "Operator TOTP key (base32)" };
        var sensorCount = new Option<int>("--sensors") { Description = "How many sensors to drive", DefaultValueFactory = _ => 1000 };
        var deviceSecrets = new Option<bool>("--device-secrets") { Description = "Rotate and save each sensor's secret (needed for MQTT)" };
        var provision = new Command("provision", "Sign in as an operator, create a gateway key (and device secrets) and save them; an existing credentials file for the same server is resumed") { url, credentialsFile, demoFile, email, password, totpKey, sensorCount, deviceSecrets };
        provision.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var server = ParseServerUrl(parse.GetValue(url));
            string? e = parse.GetValue(email), p = parse.GetValue(password), k = parse.GetValue(totpKey);
            if (parse.GetValue(demoFile) is { } demo)
            {
                var d = JsonSerializer.Deserialize<JsonElement>(await File.ReadAllTextAsync(ExistingFile(demo, "--demo"), ct));
                e ??= d.GetProperty("operatorEmail").GetString();
                p ??= d.GetProperty("operatorPassword").GetString();
                k ??= d.GetProperty("operatorTotpKey").GetString();
            }
            if (e is null || p is null || k is null) throw new UsageException("Give --demo FILE or --email, --password and --totp-key.");
            var credentials = await Provisioning.ProvisionAsync(server, e, p, k,
                new ProvisionRequest(parse.GetValue(sensorCount), parse.GetValue(deviceSecrets), parse.GetValue(credentialsFile)!.FullName), ct);
            await output.WriteLineAsync($"Saved a gateway key and {credentials.Sensors.Count} sensors to {parse.GetValue(credentialsFile)!.FullName}");
        }));

        // sensors
        var transport = new Option<string>("--transport") { Description = "http or mqtt", DefaultValueFactory = _ => "http" };
        var rate = new Option<int>("--rate") { Description = "Readings per second in total (0 = as fast as possible)", DefaultValueFactory = _ => 100 };
        var duration = new Option<int>("--duration") { Description = "Seconds to run", DefaultValueFactory = _ => 30 };
        var workers = new Option<int>("--workers") { Description = "Concurrent HTTP requests, or MQTT connections", DefaultValueFactory = _ => 8 };
        var batch = new Option<int>("--batch") { Description = "Readings per HTTP request", DefaultValueFactory = _ => 500 };
        var mqttPort = new Option<int>("--mqtt-port") { Description = "MQTT port", DefaultValueFactory = _ => 1883 };
        var qos = new Option<int>("--qos") { Description = "MQTT QoS (0 or 1)", DefaultValueFactory = _ => 1 };
        var sensors = new Command("sensors", "Drive the provisioned sensors with a daily occupancy curve") { credentialsFile, transport, rate, duration, workers, batch, mqttPort, qos };
        sensors.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var credentials = await ReadCredentialsAsync(parse.GetValue(credentialsFile)!, ct);
            var run = new SensorRun(credentials, output);
            var seconds = TimeSpan.FromSeconds(parse.GetValue(duration));
            var rateAchieved = parse.GetValue(transport) == "mqtt"
                ? await run.RunMqttAsync(new Uri(credentials.Url).Host, parse.GetValue(mqttPort), parse.GetValue(rate), seconds, parse.GetValue(workers), parse.GetValue(qos), ct)
                : await run.RunHttpAsync(parse.GetValue(rate), seconds, parse.GetValue(workers), parse.GetValue(batch), ct);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"acknowledged readings/s: {rateAchieved:F0}"));
        }));

        // replay
        var csv = new Option<FileInfo>("--csv") { Description = "CityPulse Aarhus parking CSV", DefaultValueFactory = _ => new FileInfo("data/aarhus/aarhus_citypulse_parking.csv") };
        var speed = new Option<double>("--speed") { Description = "Time compression (600 = 30 min of data every 3 s)", DefaultValueFactory = _ => 600 };
        var from = new Option<DateTime?>("--from") { Description = "First day to replay (default: the start of the series)" };
        var days = new Option<double>("--days") { Description = "How many days to replay", DefaultValueFactory = _ => 1 };
        var replay = new Command("replay-aarhus", "Replay the Aarhus garage occupancy series as space events") { credentialsFile, csv, speed, from, days };
        replay.SetAction((parse, ct) => Guarded(error, async () =>
        {
            // Both files are checked before anything is sent.
            var csvPath = ExistingFile(parse.GetValue(csv)!, "--csv");
            var credentials = await ReadCredentialsAsync(parse.GetValue(credentialsFile)!, ct);
            await new AarhusReplay(credentials, output).RunAsync(csvPath, parse.GetValue(speed), parse.GetValue(from), TimeSpan.FromDays(parse.GetValue(days)), ct);
        }));

        // nearby
        var lat = new Option<double>("--lat") { Description = "Latitude", DefaultValueFactory = _ => 56.1567 };
        var lng = new Option<double>("--lng") { Description = "Longitude", DefaultValueFactory = _ => 10.2108 };
        var radius = new Option<int>("--radius") { Description = "Radius in metres", DefaultValueFactory = _ => 1000 };
        var nearby = new Command("nearby", "Free spaces near a point, nearest first") { url, lat, lng, radius };
        nearby.SetAction((parse, ct) => Guarded(error, async () =>
        {
            using var http = new HttpClient { BaseAddress = ParseServerUrl(parse.GetValue(url)) };
            var query = string.Create(CultureInfo.InvariantCulture, $"/api/v1/availability?lat={parse.GetValue(lat)}&lng={parse.GetValue(lng)}&radius={parse.GetValue(radius)}");
            var lots = await http.GetFromJsonAsync<JsonElement[]>(query, ct) ?? [];
            foreach (var lot in lots)
            {
                var counts = lot.GetProperty("counts");
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{lot.GetProperty("distanceMeters").GetDouble(),7:F0} m  {lot.GetProperty("name").GetString(),-28} {counts.GetProperty("free").GetInt32(),5} free of {counts.GetProperty("total").GetInt32(),5}  {lot.GetProperty("trend").GetString()}"));
            }
            await output.WriteLineAsync($"{lots.Length} lots");
        }));

        var root = new RootCommand("SmartParking simulator: drives a SmartParking server like sensors and drivers would") { provision, sensors, replay, nearby };
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, ct);
    }

    private static async Task<SimCredentials> ReadCredentialsAsync(FileInfo file, CancellationToken ct)
    {
        var text = await File.ReadAllTextAsync(ExistingFile(file, "--credentials"), ct);
        try { return JsonSerializer.Deserialize<SimCredentials>(text, Provisioning.Json) ?? throw new UsageException($"--credentials: {file.FullName} is empty"); }
        catch (JsonException) { throw new UsageException($"--credentials: {file.FullName} is not a credentials file written by 'provision'"); }
    }

    /// <summary>A usage mistake exits 2 and a failure talking to the server exits 1, each as one line on the error writer rather than a stack trace.</summary>
    private static async Task<int> Guarded(TextWriter error, Func<Task> action)
    {
        try
        {
            await action();
            return 0;
        }
        catch (UsageException e) { await error.WriteLineAsync(e.Message); return 2; }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or JsonException or KeyNotFoundException or IOException)
        {
            await error.WriteLineAsync($"error: {OneLine(e)}");
            return 1;
        }
    }

    private static string OneLine(Exception e)
    {
        var message = e is HttpRequestException { InnerException: { } inner } && !e.Message.Contains(inner.Message) ? $"{e.Message} ({inner.Message})" : e.Message;
        return string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
