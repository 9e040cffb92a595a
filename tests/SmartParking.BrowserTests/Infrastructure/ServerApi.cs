using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>A device's MQTT credentials, as the operator API hands them out.</summary>
public sealed record Device(Guid LotId, Guid SpaceId, string Serial, string Secret);

/// <summary>
/// What a test sets up through the public API before it looks at a page: the demo operator signs in with TOTP and
/// creates lots and sensors; devices report over MQTT with the real mosquitto_pub.
/// </summary>
public sealed class ServerApi(RunningServer server) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = server.BaseUri };
    private string? _operatorToken;

    public void Dispose() => _http.Dispose();

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await OperatorTokenAsync());
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<string> OperatorTokenAsync()
    {
        if (_operatorToken is not null) return _operatorToken;
        var c = server.Credentials;
        var response = await _http.PostAsJsonAsync("/api/v1/auth/login", new { email = c.OperatorEmail, password = c.OperatorPassword, totp = TotpGenerator.Now(c.OperatorTotpKey) });
        response.EnsureSuccessStatusCode();
        return _operatorToken = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    /// <summary>A lot open around the clock at a point, with one space whose sensor is returned.</summary>
    public async Task<Device> LotWithOneSensorAsync(string name, double latitude, double longitude, decimal hourlyRate = 20m)
    {
        var lot = await SendAsync(HttpMethod.Post, "/api/v1/manage/lots", new
        {
            name, kind = "off_street", latitude, longitude, timeZone = "Europe/Copenhagen", currency = "DKK", baseHourlyRate = hourlyRate,
            openingHours = Array.Empty<object>(), amenities = new[] { "ev_charging" }, capacity = new Dictionary<string, int> { ["standard"] = 1 },
            address = new { street = "Testvej 1", city = "Aarhus", postalCode = "8000", country = "Denmark" },
        });
        var lotId = lot.GetProperty("id").GetGuid();
        var space = await SendAsync(HttpMethod.Post, $"/api/v1/manage/lots/{lotId}/spaces", new { label = "T1", type = "standard" });
        var serial = "BROWSER-" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        var sensor = await SendAsync(HttpMethod.Post, "/api/v1/manage/sensors", new { serial, kind = "magnetometer", spaceId = space.GetProperty("id").GetGuid() });
        return new Device(lotId, space.GetProperty("id").GetGuid(), serial, sensor.GetProperty("deviceSecret").GetString()!);
    }

    /// <summary>A reading published as the device with mosquitto_pub (QoS 1: acknowledged means accepted).</summary>
    public async Task PublishAsync(Device device, string status)
    {
        var payload = JsonSerializer.Serialize(new { status, observedAt = DateTimeOffset.UtcNow.AddSeconds(-1) });
        using var pub = Process.Start(new ProcessStartInfo("mosquitto_pub",
            ["-h", "127.0.0.1", "-p", server.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-V", "mqttv311",
             "-u", device.Serial, "-P", device.Secret, "-t", $"parking/sensors/{device.Serial}/status", "-m", payload, "-q", "1"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await pub.WaitForExitAsync(deadline.Token);
        if (pub.ExitCode != 0) throw new InvalidOperationException($"mosquitto_pub failed ({pub.ExitCode}): {await pub.StandardError.ReadToEndAsync()}");
    }
}
