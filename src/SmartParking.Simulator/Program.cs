using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using SmartParking.Simulator;

var url = new Option<Uri>("--url") { Description = "Server base URL", DefaultValueFactory = _ => new Uri("http://localhost:5080") };
var credentialsFile = new Option<FileInfo>("--credentials") { Description = "Credentials file written by 'provision'", DefaultValueFactory = _ => new FileInfo("sim-credentials.json") };

// provision
var demoFile = new Option<FileInfo?>("--demo") { Description = "The demo server's demo-credentials.json (operator sign-in)" };
var email = new Option<string?>("--email") { Description = "Operator e-mail" };
var password = new Option<string?>("--password") { Description = "Operator password" };
var totpKey = new Option<string?>("--totp-key") { Description = "Operator TOTP key (base32)" };
var sensorCount = new Option<int>("--sensors") { Description = "How many sensors to drive", DefaultValueFactory = _ => 1000 };
var deviceSecrets = new Option<bool>("--device-secrets") { Description = "Rotate and save each sensor's secret (needed for MQTT)" };
var provision = new Command("provision", "Sign in as an operator, create a gateway key (and device secrets) and save them") { url, credentialsFile, demoFile, email, password, totpKey, sensorCount, deviceSecrets };
provision.SetAction(async (parse, ct) =>
{
    string? e = parse.GetValue(email), p = parse.GetValue(password), k = parse.GetValue(totpKey);
    if (parse.GetValue(demoFile) is { } demo)
    {
        var d = JsonSerializer.Deserialize<JsonElement>(await File.ReadAllTextAsync(demo.FullName, ct));
        e ??= d.GetProperty("operatorEmail").GetString();
        p ??= d.GetProperty("operatorPassword").GetString();
        k ??= d.GetProperty("operatorTotpKey").GetString();
    }
    if (e is null || p is null || k is null) { Console.Error.WriteLine("Give --demo FILE or --email, --password and --totp-key."); return 2; }
    var credentials = await Provisioning.ProvisionAsync(parse.GetValue(url)!, e, p, k, parse.GetValue(sensorCount), parse.GetValue(deviceSecrets), ct);
    await File.WriteAllTextAsync(parse.GetValue(credentialsFile)!.FullName, JsonSerializer.Serialize(credentials, Provisioning.Json), ct);
    Console.WriteLine($"Saved a gateway key and {credentials.Sensors.Count} sensors to {parse.GetValue(credentialsFile)!.FullName}");
    return 0;
});

// sensors
var transport = new Option<string>("--transport") { Description = "http or mqtt", DefaultValueFactory = _ => "http" };
var rate = new Option<int>("--rate") { Description = "Readings per second in total (0 = as fast as possible)", DefaultValueFactory = _ => 100 };
var duration = new Option<int>("--duration") { Description = "Seconds to run", DefaultValueFactory = _ => 30 };
var workers = new Option<int>("--workers") { Description = "Concurrent HTTP requests, or MQTT connections", DefaultValueFactory = _ => 8 };
var batch = new Option<int>("--batch") { Description = "Readings per HTTP request", DefaultValueFactory = _ => 500 };
var mqttPort = new Option<int>("--mqtt-port") { Description = "MQTT port", DefaultValueFactory = _ => 1883 };
var qos = new Option<int>("--qos") { Description = "MQTT QoS (0 or 1)", DefaultValueFactory = _ => 1 };
var sensors = new Command("sensors", "Drive the provisioned sensors with a daily occupancy curve") { credentialsFile, transport, rate, duration, workers, batch, mqttPort, qos };
sensors.SetAction(async (parse, ct) =>
{
    var credentials = JsonSerializer.Deserialize<SimCredentials>(await File.ReadAllTextAsync(parse.GetValue(credentialsFile)!.FullName, ct), Provisioning.Json)!;
    var run = new SensorRun(credentials, Console.Out);
    var seconds = TimeSpan.FromSeconds(parse.GetValue(duration));
    var rateAchieved = parse.GetValue(transport) == "mqtt"
        ? await run.RunMqttAsync(new Uri(credentials.Url).Host, parse.GetValue(mqttPort), parse.GetValue(rate), seconds, parse.GetValue(workers), parse.GetValue(qos), ct)
        : await run.RunHttpAsync(parse.GetValue(rate), seconds, parse.GetValue(workers), parse.GetValue(batch), ct);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"acknowledged readings/s: {rateAchieved:F0}"));
    return 0;
});

// replay
var csv = new Option<FileInfo>("--csv") { Description = "CityPulse Aarhus parking CSV", DefaultValueFactory = _ => new FileInfo("data/aarhus/aarhus_citypulse_parking.csv") };
var speed = new Option<double>("--speed") { Description = "Time compression (600 = 30 min of data every 3 s)", DefaultValueFactory = _ => 600 };
var from = new Option<DateTime?>("--from") { Description = "First day to replay (default: the start of the series)" };
var days = new Option<double>("--days") { Description = "How many days to replay", DefaultValueFactory = _ => 1 };
var replay = new Command("replay-aarhus", "Replay the Aarhus garage occupancy series as space events") { credentialsFile, csv, speed, from, days };
replay.SetAction(async (parse, ct) =>
{
    var credentials = JsonSerializer.Deserialize<SimCredentials>(await File.ReadAllTextAsync(parse.GetValue(credentialsFile)!.FullName, ct), Provisioning.Json)!;
    await new AarhusReplay(credentials, Console.Out).RunAsync(parse.GetValue(csv)!.FullName, parse.GetValue(speed), parse.GetValue(from), TimeSpan.FromDays(parse.GetValue(days)), ct);
    return 0;
});

// nearby
var lat = new Option<double>("--lat") { Description = "Latitude", DefaultValueFactory = _ => 56.1567 };
var lng = new Option<double>("--lng") { Description = "Longitude", DefaultValueFactory = _ => 10.2108 };
var radius = new Option<int>("--radius") { Description = "Radius in metres", DefaultValueFactory = _ => 1000 };
var nearby = new Command("nearby", "Free spaces near a point, nearest first") { url, lat, lng, radius };
nearby.SetAction(async (parse, ct) =>
{
    using var http = new HttpClient { BaseAddress = parse.GetValue(url) };
    var query = string.Create(CultureInfo.InvariantCulture, $"/api/v1/availability?lat={parse.GetValue(lat)}&lng={parse.GetValue(lng)}&radius={parse.GetValue(radius)}");
    var lots = await http.GetFromJsonAsync<JsonElement[]>(query, ct) ?? [];
    foreach (var lot in lots)
    {
        var counts = lot.GetProperty("counts");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{lot.GetProperty("distanceMeters").GetDouble(),7:F0} m  {lot.GetProperty("name").GetString(),-28} {counts.GetProperty("free").GetInt32(),5} free of {counts.GetProperty("total").GetInt32(),5}  {lot.GetProperty("trend").GetString()}"));
    }
    Console.WriteLine($"{lots.Length} lots");
    return 0;
});

var root = new RootCommand("SmartParking simulator: drives a SmartParking server like sensors and drivers would") { provision, sensors, replay, nearby };
return await root.Parse(args).InvokeAsync();
