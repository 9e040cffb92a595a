using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>Another tenant's operator (with their authenticator key) and the one lot they own.</summary>
public sealed record OtherTenant(string OperatorEmail, string OperatorPassword, string OperatorTotpKey, Guid LotId, string LotName);

/// <summary>A device's MQTT credentials, as the operator API hands them out.</summary>
public sealed record Device(Guid LotId, Guid SpaceId, string Serial, string Secret);

/// <summary>
/// What a test sets up through the public API before it looks at a page: the demo operator signs in with TOTP and
/// creates lots and sensors; devices report over MQTT with the real mosquitto_pub.
/// <para>
/// The server takes each TOTP code once, so the demo operator and admin sign in to the API once per server and keep
/// that sign-in (refreshing its access token when it runs low) instead of signing in again for every call.
/// </para>
/// </summary>
public sealed class ServerApi(RunningServer server) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = server.BaseUri };
    private readonly SemaphoreSlim _sessionsLock = new(1, 1);
    private readonly Dictionary<string, ApiSession> _sessions = new(StringComparer.OrdinalIgnoreCase);

    private sealed record ApiSession(string AccessToken, DateTimeOffset AccessTokenExpiresAt, string RefreshToken);

    public void Dispose()
    {
        _http.Dispose();
        _sessionsLock.Dispose();
    }

    /// <summary>As the demo operator, or as whoever <paramref name="token"/> belongs to.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        token ??= await OperatorTokenAsync();
        if (token.Length > 0) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private Task<string> OperatorTokenAsync() => SessionTokenAsync(server.Credentials.OperatorEmail, server.Credentials.OperatorPassword, server.Credentials.OperatorTotpKey);

    private Task<string> AdminTokenAsync() => SessionTokenAsync(server.Credentials.AdminEmail, server.Credentials.AdminPassword, server.Credentials.AdminTotpKey);

    /// <summary>An access token of the account's one kept sign-in: signed in on first use, refreshed when it has less than a minute left.</summary>
    private async Task<string> SessionTokenAsync(string email, string password, string totpKey)
    {
        await _sessionsLock.WaitAsync();
        try
        {
            var session = _sessions.TryGetValue(email, out var kept) ? kept : null;
            if (session is null)
                session = Session(await SendAsync(HttpMethod.Post, "/api/v1/auth/login", new { email, password, totp = TotpGenerator.Next(totpKey) }, token: ""));
            else if (session.AccessTokenExpiresAt - DateTimeOffset.UtcNow < TimeSpan.FromMinutes(1))
                session = Session(await SendAsync(HttpMethod.Post, "/api/v1/auth/refresh", new { refreshToken = session.RefreshToken }, token: ""));
            _sessions[email] = session;
            return session.AccessToken;
        }
        finally
        {
            _sessionsLock.Release();
        }
    }

    private static ApiSession Session(JsonElement tokens) => new(
        tokens.GetProperty("accessToken").GetString()!, tokens.GetProperty("accessTokenExpiresAt").GetDateTimeOffset(), tokens.GetProperty("refreshToken").GetString()!);

    /// <summary>A sign-in with the password alone (accounts without two-factor).</summary>
    private async Task<string> PasswordTokenAsync(string email, string password) =>
        (await SendAsync(HttpMethod.Post, "/api/v1/auth/login", new { email, password }, token: "")).GetProperty("accessToken").GetString()!;

    /// <summary>
    /// A second operator organisation, made the way a platform admin would: the tenant, an operator account enrolled
    /// in TOTP, and one lot of its own.
    /// </summary>
    public async Task<OtherTenant> OtherTenantWithLotAsync(string name)
    {
        var (_, email, password, key, token) = await TenantWithOperatorAsync(name, "Europe/Copenhagen", "DKK");
        var lotName = $"{name} Garage";
        var lot = await SendAsync(HttpMethod.Post, "/api/v1/manage/lots", new
        {
            name = lotName, kind = "off_street", latitude = 56.15, longitude = 10.20, timeZone = "Europe/Copenhagen", currency = "DKK", baseHourlyRate = 15m,
            openingHours = Array.Empty<object>(), capacity = new Dictionary<string, int> { ["standard"] = 1 },
            address = new { street = "Andenvej 2", city = "Aarhus", postalCode = "8000", country = "Denmark" },
        }, token);
        return new OtherTenant(email, password, key, lot.GetProperty("id").GetGuid(), lotName);
    }

    /// <summary>A tenant made by the demo admin, and its operator enrolled in TOTP (through the shared generator).</summary>
    private async Task<(JsonElement Tenant, string Email, string Password, string TotpKey, string Token)> TenantWithOperatorAsync(string name, string timeZone, string currency)
    {
        var admin = await AdminTokenAsync();
        var slug = "t-" + Guid.NewGuid().ToString("N")[..12];
        var tenant = await SendAsync(HttpMethod.Post, "/api/v1/manage/tenants", new { name, slug, timeZone, currency }, admin);
        var email = $"operator-{slug}@example.com";
        const string password = "Operator-B-Password-2026";
        var user = await SendAsync(HttpMethod.Post, "/api/v1/auth/register", new { email, password, displayName = $"{name} operator" }, token: "");
        await SendAsync(HttpMethod.Put, $"/api/v1/manage/users/{user.GetProperty("id").GetGuid()}/role",
            new { role = "operator", tenantId = tenant.GetProperty("id").GetGuid() }, admin);
        var plain = await PasswordTokenAsync(email, password);
        var key = (await SendAsync(HttpMethod.Post, "/api/v1/auth/mfa/setup", token: plain)).GetProperty("sharedKey").GetString()!;
        // Through the shared generator: the operator's first sign-in on a page must not reuse this code.
        var enabled = await SendAsync(HttpMethod.Post, "/api/v1/auth/mfa/enable", new { code = TotpGenerator.Next(key) }, plain);
        return (tenant, email, password, key, enabled.GetProperty("tokens").GetProperty("accessToken").GetString()!);
    }

    /// <summary>
    /// A second city as its operator sets it up through the API: Melbourne's zone and money, a city guide naming Flinders
    /// Street Station, an on-street block with one bay whose sensor reports on change, and a "2P" daytime restriction.
    /// </summary>
    public async Task<(string Slug, Device Bay)> MelbourneAsync()
    {
        var (tenant, _, _, _, token) = await TenantWithOperatorAsync("City of Melbourne " + Guid.NewGuid().ToString("N")[..6], "Australia/Melbourne", "AUD");
        var tenantId = tenant.GetProperty("id").GetGuid();
        await SendAsync(HttpMethod.Put, $"/api/v1/manage/tenants/{tenantId}/city-guide", new
        {
            countryCodes = new[] { "AU" },
            places = new[] { new { name = "Flinders Street Station", latitude = -37.8183, longitude = 144.9671, aliases = new[] { "Flinders St" } } },
        }, token);
        var lot = await SendAsync(HttpMethod.Post, "/api/v1/manage/lots", new
        {
            name = "Flinders Street bays", kind = "on_street", latitude = -37.8180, longitude = 144.9660, timeZone = "Australia/Melbourne", currency = "AUD",
            baseHourlyRate = 4.5m, openingHours = Array.Empty<object>(), capacity = new Dictionary<string, int> { ["standard"] = 1 },
            address = new { street = "Flinders Street", city = "Melbourne", postalCode = "3000", country = "Australia" },
        }, token);
        var lotId = lot.GetProperty("id").GetGuid();
        await SendAsync(HttpMethod.Put, $"/api/v1/manage/lots/{lotId}/sensor-policy", new { heartbeatSeconds = 3 * 3600 }, token);
        await SendAsync(HttpMethod.Put, $"/api/v1/manage/lots/{lotId}/parking-rules", new { rules = new[] { new { text = "2P Mon-Sun 07:30-18:30" } } }, token);
        var space = await SendAsync(HttpMethod.Post, $"/api/v1/manage/lots/{lotId}/spaces", new { label = "F1", type = "standard" }, token);
        var serial = "MEL-" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        var sensor = await SendAsync(HttpMethod.Post, "/api/v1/manage/sensors", new { serial, kind = "magnetometer", spaceId = space.GetProperty("id").GetGuid() }, token);
        return (tenant.GetProperty("slug").GetString()!, new Device(lotId, space.GetProperty("id").GetGuid(), serial, sensor.GetProperty("deviceSecret").GetString()!));
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
    public Task PublishAsync(Device device, string status) =>
        PublishAsync(device, "status", JsonSerializer.Serialize(new { status, observedAt = DateTimeOffset.UtcNow.AddSeconds(-1) }));

    /// <summary>A heartbeat with the device's battery level.</summary>
    public Task PublishHeartbeatAsync(Device device, int battery) => PublishAsync(device, "heartbeat", JsonSerializer.Serialize(new { battery }));

    private async Task PublishAsync(Device device, string topic, string payload)
    {
        using var pub = Process.Start(new ProcessStartInfo("mosquitto_pub",
            ["-h", "127.0.0.1", "-p", server.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-V", "mqttv311",
             "-u", device.Serial, "-P", device.Secret, "-t", $"parking/sensors/{device.Serial}/{topic}", "-m", payload, "-q", "1"])
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
