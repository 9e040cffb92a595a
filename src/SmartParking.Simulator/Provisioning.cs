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

    public static async Task<SimCredentials> ProvisionAsync(Uri url, string email, string password, string totpKey, int sensors, bool deviceSecrets, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = url };
        // A code is taken once (RFC 6238 §5.2): if this 30 s step's code was used already (a second run), the next step's is still accepted.
        var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email, password, totp = Totp.Code(totpKey, DateTimeOffset.UtcNow) }, ct);
        if (login.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.Unauthorized)
            login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email, password, totp = Totp.Code(totpKey, DateTimeOffset.UtcNow.AddSeconds(30)) }, ct);
        if (!login.IsSuccessStatusCode) throw new InvalidOperationException($"Sign-in failed: {(int)login.StatusCode} {await login.Content.ReadAsStringAsync(ct)}");
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accessToken").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var gateway = await (await Ok(http.PostAsJsonAsync("/api/v1/manage/gateways", new { name = $"simulator {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}" }, ct), ct))
            .Content.ReadFromJsonAsync<JsonElement>(ct);
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
        }
        return new SimCredentials(url.ToString(), gateway.GetProperty("key").GetString()!, list);
    }

    private static async Task<HttpResponseMessage> Ok(Task<HttpResponseMessage> call, CancellationToken ct)
    {
        var response = await call;
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        return response;
    }
}
