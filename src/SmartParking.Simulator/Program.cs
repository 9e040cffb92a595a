using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

// The simulator grows with the ingest issue (sensors over MQTT/HTTP, Aarhus replay). For now it
// exercises the public API: where is parking near a point.
var url = new Option<Uri>("--url") { Description = "Server base URL", DefaultValueFactory = _ => new Uri("http://localhost:5080") };
var lat = new Option<double>("--lat") { Description = "Latitude", DefaultValueFactory = _ => 56.1567 };
var lng = new Option<double>("--lng") { Description = "Longitude", DefaultValueFactory = _ => 10.2108 };
var radius = new Option<int>("--radius") { Description = "Radius in metres", DefaultValueFactory = _ => 1000 };

var nearby = new Command("nearby", "List lots near a point, nearest first") { url, lat, lng, radius };
nearby.SetAction(async (parse, ct) =>
{
    using var http = new HttpClient { BaseAddress = parse.GetValue(url) };
    var query = string.Create(CultureInfo.InvariantCulture, $"/api/v1/lots/nearby?lat={parse.GetValue(lat)}&lng={parse.GetValue(lng)}&radius={parse.GetValue(radius)}");
    var lots = await http.GetFromJsonAsync<JsonElement[]>(query, ct) ?? [];
    foreach (var lot in lots)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{lot.GetProperty("distanceMeters").GetDouble(),7:F0} m  {lot.GetProperty("name").GetString(),-28} {lot.GetProperty("totalCapacity").GetInt32(),5} spaces"));
    Console.WriteLine($"{lots.Length} lots");
    return 0;
});

var root = new RootCommand("SmartParking simulator: drives a SmartParking server like sensors and drivers would") { nearby };
return await root.Parse(args).InvokeAsync();
