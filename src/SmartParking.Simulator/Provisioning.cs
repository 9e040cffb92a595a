using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace SmartParking.Simulator;

public sealed record SimSensor(string Serial, string? Secret, string? LotExternalId);
public sealed record SimCredentials(string Url, string GatewayKey, List<SimSensor> Sensors);

/// <summary>
/// What to provision: how many of the operator's assigned sensors, whether to give them fresh device secrets, the file to
/// save them in (resumed when it is already there for the same server) and how many sensors one bulk request carries.
/// </summary>
public sealed record ProvisionRequest(int Sensors, bool DeviceSecrets, string? CredentialsPath = null, int BatchSize = Provisioning.DefaultBatchSize);

/// <summary>
/// Signs in as an operator, creates a gateway key and (for MQTT) fresh device secrets, and saves them for the runs.
/// Secrets are rotated a batch at a time through the bulk registration endpoint and the file is saved after each batch,
/// so at most one batch's secrets are ever held only in memory; a sensor whose new secret did not reach the file is
/// simply rotated again by the next run, which keeps what the file already holds and completes the rest.
/// </summary>
public static class Provisioning
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Sensors per bulk request: well under the server's cap, and small enough that a lost answer costs little.</summary>
    public const int DefaultBatchSize = 500;

    /// <summary>How many 429 answers one run waits out before it gives up.</summary>
    public const int MaxRateLimitRetries = 100;

    /// <summary>The longest single wait for a Retry-After, whatever the server asks.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(5);

    public static async Task<SimCredentials> ProvisionAsync(Uri url, string email, string password, string totpKey, ProvisionRequest request, CancellationToken ct)
    {
        // A file from an earlier run against this server is resumed: its gateway key and secrets stay valid.
        var saved = request.CredentialsPath is { } path && File.Exists(path) ? await LoadAsync(path, ct) : null;
        if (saved is not null && saved.Url != url.ToString()) saved = null;

        using var http = new HttpClient(new RetryAfterHandler(MaxRateLimitRetries, MaxRetryAfter) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = url };
        // A code is taken once (RFC 6238 §5.2): if this 30 s step's code was used already (a second run), the next step's is still accepted.
        var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email, password, totp = Totp.Code(totpKey, DateTimeOffset.UtcNow) }, ct);
        if (login.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.Unauthorized)
            login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email, password, totp = Totp.Code(totpKey, DateTimeOffset.UtcNow.AddSeconds(30)) }, ct);
        if (!login.IsSuccessStatusCode) throw new InvalidOperationException($"Sign-in failed: {(int)login.StatusCode} {await login.Content.ReadAsStringAsync(ct)}");
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accessToken").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var gatewayKey = saved?.GatewayKey ?? (await (await Ok(http.PostAsJsonAsync("/api/v1/manage/gateways", new { name = $"simulator {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}" }, ct), ct))
            .Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("key").GetString()!;
        var lots = new Dictionary<string, string?>();
        for (var page = 1; ; page++)
        {
            var result = await http.GetFromJsonAsync<JsonElement>($"/api/v1/manage/lots?page={page}&pageSize=500", ct);
            foreach (var lot in result.GetProperty("items").EnumerateArray())
                lots[lot.GetProperty("id").GetString()!] = lot.GetProperty("externalId").GetString();
            if (page * 500 >= result.GetProperty("total").GetInt64()) break;
        }
        var listed = new List<(string Serial, string? LotExternalId)>();
        for (var page = 1; listed.Count < request.Sensors; page++)
        {
            var result = await http.GetFromJsonAsync<JsonElement>($"/api/v1/manage/sensors?page={page}&pageSize=500&assigned=true", ct);
            var items = result.GetProperty("items").EnumerateArray().ToList();
            if (items.Count == 0) break;
            foreach (var s in items.Take(request.Sensors - listed.Count))
                listed.Add((s.GetProperty("serial").GetString()!, s.GetProperty("lotId").GetString() is { } lotId ? lots.GetValueOrDefault(lotId) : null));
        }

        var secrets = saved?.Sensors.Where(s => s.Secret is not null).ToDictionary(s => s.Serial, s => s.Secret, StringComparer.Ordinal) ?? [];
        // Over HTTP sensors need no secret; over MQTT only a sensor with one can connect, so only those are saved.
        SimCredentials Ready() => new(url.ToString(), gatewayKey, listed
            .Where(s => !request.DeviceSecrets || secrets.ContainsKey(s.Serial))
            .Select(s => new SimSensor(s.Serial, secrets.GetValueOrDefault(s.Serial), s.LotExternalId)).ToList());
        // Saved before any secret is rotated, so a file that cannot be written stops the run while every old secret still holds.
        if (request.CredentialsPath is not null) await SaveAsync(request.CredentialsPath, Ready(), ct);

        var failures = new List<string>();
        if (request.DeviceSecrets)
            foreach (var batch in listed.Where(s => !secrets.ContainsKey(s.Serial)).Chunk(Math.Max(1, request.BatchSize)))
            {
                var response = await Ok(http.PostAsJsonAsync("/api/v1/manage/sensors/bulk",
                    new { rotateSecrets = true, sensors = batch.Select(s => new { serial = s.Serial }) }, ct), ct);
                var result = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                foreach (var secret in result.GetProperty("secrets").EnumerateArray())
                    secrets[secret.GetProperty("serial").GetString()!] = secret.GetProperty("deviceSecret").GetString();
                foreach (var error in result.GetProperty("errors").EnumerateArray())
                    failures.Add($"{batch[error.GetProperty("index").GetInt32()].Serial}: {error.GetProperty("field").GetString()} {error.GetProperty("message").GetString()}");
                if (request.CredentialsPath is not null) await SaveAsync(request.CredentialsPath, Ready(), ct);
            }
        if (failures.Count > 0)
            throw new InvalidOperationException($"{failures.Count} sensors got no secret (the others are saved), first: {failures[0]}");
        return Ready();
    }

    private static async Task<SimCredentials?> LoadAsync(string path, CancellationToken ct)
    {
        try { return JsonSerializer.Deserialize<SimCredentials>(await File.ReadAllTextAsync(path, ct), Json); }
        // Not ours to overwrite blindly: it may be the only copy of secrets the server no longer shows.
        catch (JsonException e) { throw new InvalidOperationException($"{path} is not a credentials file written by 'provision' ({e.Message}); move it away to start afresh."); }
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
