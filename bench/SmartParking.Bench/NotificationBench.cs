using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace SmartParking.Bench;

/// <summary>
/// g. "Your session ends in 15 minutes", end to end: drivers start meter sessions of 16 minutes through the API; a
/// minute later each enters its last 15 minutes, the sessions job records SessionExpiring, the notifications
/// subscriber queues the e-mail and the sender hands it to the harness's SMTP sink. Latency is from the moment a
/// session entered its last 15 minutes to the sink's 250 for its message (so it includes the job's sweep interval).
/// </summary>
internal static class NotificationBench
{
    private const int Drivers = 40;
    private const int SessionsPerDriver = 5;
    private const int SessionMinutes = 16;
    private const int NoticeMinutes = 15;

    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        c.Header("notifications", $"{Drivers} drivers × {SessionsPerDriver} meter sessions of {SessionMinutes} min; each e-mail timed from its session's last-{NoticeMinutes}-minutes mark to the SMTP sink's 250");
        using var http = new HttpClient { BaseAddress = c.Env.Server.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        var tokens = await BookingBench.RegisterDriversAsync(c, http, Drivers, ct, prefix: "notified");
        var lots = c.Env.City.Lots;
        var due = new List<(string Email, DateTimeOffset NoticeAt)>();
        var plate = 0;
        for (var d = 0; d < Drivers; d++)
            for (var s = 0; s < SessionsPerDriver; s++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sessions")
                {
                    Content = JsonContent.Create(new { lotId = lots[(d * SessionsPerDriver + s) % lots.Length].Id, plate = $"BN{plate++:D5}", durationMinutes = SessionMinutes }),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[d]);
                using var response = await http.SendAsync(request, ct);
                if (response.StatusCode != HttpStatusCode.Created)
                    throw new InvalidOperationException($"Starting a session answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                var endsAt = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("endsAt").GetDateTimeOffset();
                due.Add(($"notified{d:D4}@bench.example", endsAt.AddMinutes(-NoticeMinutes)));
            }
        var expected = due.Count;
        var last = due.Max(x => x.NoticeAt);
        c.Out.WriteLine($"   started {expected} sessions; the last enters its final {NoticeMinutes} minutes at {last:HH:mm:ss} UTC");

        var deadline = last + TimeSpan.FromMinutes(3);
        while (Received(c).Count < expected && DateTimeOffset.UtcNow < deadline) await Task.Delay(200, ct);
        var received = Received(c);
        // Each driver's messages pair with their sessions in time order (the sessions of one driver are a second apart).
        var latencies = new Latencies();
        foreach (var driver in due.GroupBy(x => x.Email))
        {
            var notices = driver.Select(x => x.NoticeAt).Order().ToList();
            var mails = received.Where(m => m.Recipient == driver.Key).Select(m => m.AcceptedAt).Order().ToList();
            for (var i = 0; i < Math.Min(notices.Count, mails.Count); i++) latencies.Add((mails[i] - notices[i]).TotalMilliseconds);
        }
        var summary = latencies.Summarize();
        c.Out.WriteLine($"   e-mails accepted by the sink: {received.Count} of {expected}; latency {summary}");
        c.Report.Add("notifications", "session expiring → e-mail accepted, p99", summary.P99, "ms", note:
            $"{received.Count}/{expected} e-mails; p50 {summary.P50:F0} ms, max {summary.Max:F0} ms; includes the sessions job's sweep (Reservations:SweepSeconds)");
        c.Report.Add("notifications", "expiring-session e-mails missing", expected - received.Count, "e-mails", 0, Better.Lower);
    }

    private static List<SinkMessage> Received(BenchContext c) => [.. c.Env.Smtp.Messages.Where(m => m.Recipient.StartsWith("notified", StringComparison.Ordinal))];
}
