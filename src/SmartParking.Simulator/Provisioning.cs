using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace SmartParking.Simulator;

public sealed record SimSensor(string Serial, string? Secret, string? LotExternalId);
public sealed record SimCredentials(string Url, string GatewayKey, List<SimSensor> Sensors);

/// <summary>Signs in as an operator, creates a gateway key and (for MQTT) fresh device secrets, and saves them for the runs.</summary>
public static class Provisioning
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>How many 429 answers one run waits out before it gives up.</summary>
    public const int MaxRateLimitRetries = 100;

    /// <summary>The longest single wait for a Retry-After, whatever the server asks.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(5);

    public static Task<SimCredentials> ProvisionAsync(Uri url, string email, string password, string totpKey, int sensors, bool deviceSecrets, CancellationToken ct) =>
        ProvisionAsync(url, email, password, totpKey, sensors, deviceSecrets, credentialsPath: null, ct);

    /// <summary>With <paramref name="credentialsPath"/>, the credentials are saved after each page of sensors, so a failure part-way keeps the secrets already rotated (the server no longer knows the old ones).</summary>
    public static async Task<SimCredentials> ProvisionAsync(Uri url, string email, string password, string totpKey, int sensors, bool deviceSecrets, string? credentialsPath, CancellationToken ct)
    {
        using var http = new HttpClient(new RetryAfterHandler(MaxRateLimitRetries, MaxRetryAfter) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = url };
        // A code is taken once (RFC 6238 §5.2): if this 30 s step's code was used already (a second run), the next step's is still accepted.
        var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email, password, totp = Totp.Code(totpKey, DateTimeOffset.UtcNow) }, ct);
        if (login.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.Unauthorized)
            login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email, password, totp = Totp.Code(totpKey, DateTimeOffset.UtcNow.AddSeconds(30)) }, ct);
        if (!login.IsSuccessStatusCode) throw new InvalidOperationException($"Sign-in failed: {(int)login.StatusCode} {await login.Content.ReadAsStringAsync(ct)}");
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accessToken").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var gateway = await (await Ok(http.PostAsJsonAsync("/api/v1/manage/gateways", new { name = $"simulator {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}" }, ct), ct))
            .Content.ReadFromJsonAsync<JsonElement>(ct);
        var gatewayKey = gateway.GetProperty("key").GetString()!;
        var lots = new Dictionary<string, string?>();
        for (var page = 1; ; page++)
        {
            var result = await http.GetFromJsonAsync<JsonElement>($"/api/v1/manage/lots?page={page}&pageSize=500", ct);
            foreach (var lot in result.GetProperty("items").EnumerateArray())
                lots[lot.GetProperty("id").GetString()!] = lot.GetProperty("externalId").GetString();
            if (page * 500 >= result.GetProperty("total").GetInt64()) break;
        }
        var list = new List<SimSensor>();
        for (var page = 1; list.Count < sensors; page++)
        {
            var result = await http.GetFromJsonAsync<JsonElement>($"/api/v1/manage/sensors?page={page}&pageSize=500&assigned=true", ct);
            var items = result.GetProperty("items").EnumerateArray().ToList();
            if (items.Count == 0) break;
            foreach (var s in items.Take(sensors - list.Count))
            {
                string? secret = null;
                if (deviceSecrets)
                {
                    var rotated = await (await Ok(http.PostAsync($"/api/v1/manage/sensors/{s.GetProperty("id").GetString()}/credentials", null, ct), ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
                    secret = rotated.GetProperty("deviceSecret").GetString();
                }
                var lotId = s.GetProperty("lotId").GetString();
                list.Add(new SimSensor(s.GetProperty("serial").GetString()!, secret, lotId is null ? null : lots.GetValueOrDefault(lotId)));
            }
            if (credentialsPath is not null) await SaveAsync(credentialsPath, new SimCredentials(url.ToString(), gatewayKey, list), ct);
        }
        var credentials = new SimCredentials(url.ToString(), gatewayKey, list);
        if (credentialsPath is not null) await SaveAsync(credentialsPath, credentials, ct);
        return credentials;
    }

    /// <summary>Written to a temporary file and renamed over the target, so the file is always a whole credentials file.</summary>
    public static async Task SaveAsync(string path, SimCredentials credentials, CancellationToken ct)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(credentials, Json), ct);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Waits out a 429 for as long as its Retry-After says and sends the request again, up to a budget of retries for the whole run.</summary>
    private sealed class RetryAfterHandler(int maxRetries, TimeSpan maxWait) : DelegatingHandler
    {
        private int retries;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            // The bodies sent here are small: buffered so the request can be sent again.
            if (request.Content is not null) await request.Content.LoadIntoBufferAsync(ct);
            while (true)
            {
                var response = await base.SendAsync(request, ct);
                if (response.StatusCode != System.Net.HttpStatusCode.TooManyRequests || retries >= maxRetries) return response;
                retries++;
                var wait = response.Headers.RetryAfter switch
                {
                    { Delta: { } delta } => delta,
                    { Date: { } date } => date - DateTimeOffset.UtcNow,
                    _ => TimeSpan.FromSeconds(1),
                };
                response.Dispose();
                await Task.Delay(wait < TimeSpan.Zero ? TimeSpan.Zero : wait > maxWait ? maxWait : wait, ct);
            }
        }
    }

    private static async Task<HttpResponseMessage> Ok(Task<HttpResponseMessage> call, CancellationToken ct)
    {
        var response = await call;
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        return response;
    }
}
