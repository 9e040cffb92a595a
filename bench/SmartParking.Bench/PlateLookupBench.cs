using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Bench;

/// <summary>
/// The cost of field encryption: the protector's own work per value (seal, open, blind index) on one core, and plate
/// enforcement lookups through the API, which find a plate by its blind index in sessions and reservations.
/// </summary>
internal static class PlateLookupBench
{
    private const string Password = "BenchEnforcer2026";

    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var s = c.Settings;
        c.Header("plates", $"field protector per value on one core, then {s.NearbyClients} keep-alive clients looking plates up for {s.NearbyDuration} s as an enforcement officer");
        Protector(c);

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = s.NearbyClients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        { BaseAddress = c.Env.Server.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        var token = await OfficerAsync(c, http, ct);
        // The plates the bookings benchmark booked (the first spaces of its walk); without it, unknown plates cost the same lookups.
        var plates = c.Env.City.Lots.SelectMany(l => l.SpaceIds).Take(5_000).Select(BookingBench.Plate).ToArray();
        var latencies = new Latencies();
        long ok = 0, failed = 0, paid = 0, next = -1;
        var until = Stopwatch.GetTimestamp() + (long)(s.NearbyDuration * (double)Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, s.NearbyClients).Select(async _ =>
        {
            var mine = new Latencies();
            while (Stopwatch.GetTimestamp() < until && !ct.IsCancellationRequested)
            {
                var plate = plates[Interlocked.Increment(ref next) % plates.Length];
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/manage/enforcement/plates/{plate}");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                var sent = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode != HttpStatusCode.OK) { Interlocked.Increment(ref failed); continue; }
                mine.Add(Latencies.Ms(sent, Stopwatch.GetTimestamp()));
                Interlocked.Increment(ref ok);
                if (body.Contains("\"paid\":true", StringComparison.Ordinal)) Interlocked.Increment(ref paid);
            }
            lock (latencies) latencies.AddRange(mine);
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var summary = latencies.Summarize();
        c.Out.WriteLine($"   plate lookups: {ok:N0} in {seconds:F1} s = {ok / seconds:N0}/s, failed {failed:N0}, paid {paid:N0}; latency {summary}");
        c.Report.Add("plates", "enforcement plate lookups/s", ok / seconds, "lookups/s",
            note: $"{s.NearbyClients} clients over {plates.Length:N0} booked plates; blind index (HMAC-SHA256) then indexed queries on sessions and reservations");
        c.Report.Add("plates", "plate lookup latency p99", summary.P99, "ms", note: $"p50 {summary.P50:F2} ms");
        c.Report.Add("plates", "non-200 lookups", failed, "answers", 0, Better.Lower);
    }

    /// <summary>What the server adds to a booking (seal + blind index) and to reading one back (open), measured apart from any I/O.</summary>
    private static void Protector(BenchContext c)
    {
        var keys = ProtectionKeys.Create(new Dictionary<byte, byte[]> { [1] = RandomNumberGenerator.GetBytes(32) }, 1, RandomNumberGenerator.GetBytes(32));
        var protector = new FieldProtector(keys);
        var scope = new FieldScope("reservations", "plate");
        const int Rounds = 200_000;
        var sealedValue = protector.Seal("BN12345678", scope);
        for (var i = 0; i < 10_000; i++) { protector.Seal("BN12345678", scope); protector.BlindIndex("BN12345678", scope); protector.Open(sealedValue, scope); }

        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < Rounds; i++) { protector.Seal("BN12345678", scope); protector.BlindIndex("BN12345678", scope); }
        var writeUs = Stopwatch.GetElapsedTime(started).TotalMicroseconds / Rounds;
        started = Stopwatch.GetTimestamp();
        for (var i = 0; i < Rounds; i++) protector.Open(sealedValue, scope);
        var readUs = Stopwatch.GetElapsedTime(started).TotalMicroseconds / Rounds;
        started = Stopwatch.GetTimestamp();
        for (var i = 0; i < Rounds; i++) protector.BlindIndex("BN12345678", scope);
        var indexUs = Stopwatch.GetElapsedTime(started).TotalMicroseconds / Rounds;

        c.Out.WriteLine($"   protector: seal + blind index {writeUs:F2} µs, open {readUs:F2} µs, blind index alone {indexUs:F2} µs per plate");
        c.Report.Add("plates", "seal + blind index per value", writeUs, "µs", note: "AES-256-GCM with a fresh nonce, HMAC-SHA256; one core, in process");
        c.Report.Add("plates", "open per value", readUs, "µs", note: "AES-256-GCM");
    }

    /// <summary>An operator with two-factor sign-in, as enforcement needs: registered, promoted in the database, TOTP enrolled.</summary>
    private static async Task<string> OfficerAsync(BenchContext c, HttpClient http, CancellationToken ct)
    {
        var email = $"enforcer-{Guid.NewGuid():N}@bench.example";
        using var register = await http.PostAsJsonAsync("/api/v1/auth/register", new { email, password = Password }, ct);
        var id = (await register.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
        await using (var promote = c.Env.Db.CreateCommand("update users set role = 'operator', tenant_id = (select id from tenants order by created_at limit 1) where id = $1"))
        {
            promote.Parameters.Add(new() { Value = id });
            await promote.ExecuteNonQueryAsync(ct);
        }
        using var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email, password = Password }, ct);
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accessToken").GetString()!;
        using var setup = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/mfa/setup");
        setup.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var setupAnswer = await http.SendAsync(setup, ct);
        var key = (await setupAnswer.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("sharedKey").GetString()!;
        using var enable = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/mfa/enable") { Content = JsonContent.Create(new { code = Totp(key) }) };
        enable.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var enabled = await http.SendAsync(enable, ct);
        if (enabled.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"enrolling the enforcement officer's TOTP was answered {(int)enabled.StatusCode}: {await enabled.Content.ReadAsStringAsync(ct)}");
        return (await enabled.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("tokens").GetProperty("accessToken").GetString()!;
    }

    /// <summary>RFC 6238 (SHA-1, 30 s, 6 digits) from the base32 shared key.</summary>
    private static string Totp(string sharedKey)
    {
        var bits = sharedKey.Replace(" ", "", StringComparison.Ordinal).TrimEnd('=').ToUpperInvariant()
            .Select(ch => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".IndexOf(ch, StringComparison.Ordinal))
            .SelectMany(v => Enumerable.Range(0, 5).Select(b => (v >> (4 - b)) & 1)).ToArray();
        var key = Enumerable.Range(0, bits.Length / 8).Select(i => (byte)Enumerable.Range(0, 8).Aggregate(0, (acc, b) => (acc << 1) | bits[i * 8 + b])).ToArray();
        var counter = BitConverter.GetBytes(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30);
        if (BitConverter.IsLittleEndian) Array.Reverse(counter);
        var hash = HMACSHA1.HashData(key, counter);
        var offset = hash[^1] & 0x0F;
        var code = ((hash[offset] & 0x7F) << 24 | hash[offset + 1] << 16 | hash[offset + 2] << 8 | hash[offset + 3]) % 1_000_000;
        return code.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }
}
