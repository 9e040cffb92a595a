using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace SmartParking.Bench;

/// <summary>
/// e. Reservations: bookings a second on distinct spaces (and book-and-pay), then many drivers racing for one space at
/// once, where the database's exclusion constraint must let exactly one through; finally every 201 must be one row.
/// </summary>
internal static class BookingBench
{
    private const string Password = "BenchDriver2026";
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var s = c.Settings;
        c.Header("bookings", $"{s.BookingDrivers} drivers registered through the API; {s.BookingClients} keep-alive clients booking distinct spaces for {s.BookingDuration} s, " +
            $"then book-and-pay for {s.BookingDuration} s, then {s.ContentionRounds} rounds of {s.ContentionClients} clients racing for one space");
        var spaces = c.Env.City.Lots.SelectMany(l => l.SpaceIds.Select(id => (Lot: l.Id, Space: id))).ToArray();
        if (spaces.Length <= s.ContentionRounds)
            throw new InvalidOperationException($"bookings needs more than {s.ContentionRounds} spaces (one per contention round plus some to walk).");
        // The race rounds get spaces the throughput walk never touches, so "exactly one reservation on the space" is exact.
        var raced = spaces[^s.ContentionRounds..];
        var now = DateTimeOffset.UtcNow;
        var tomorrow = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddDays(1);
        var walk = new SpaceWalk(spaces[..^s.ContentionRounds], tomorrow);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(s.BookingClients, s.ContentionClients),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        { BaseAddress = c.Env.Server.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        // Every 201 of the whole benchmark, to be matched against count(*) at the end.
        var created = new StrongBox<long>();

        var tokens = await RegisterDriversAsync(c, http, s.BookingDrivers, ct);

        // JIT, connection pools and the server's caches warm up before anything is measured (these 201s count too).
        LoadResult? warm = null;
        var warmed = await ServerMetrics.WarmUntilJitSettledAsync(c.Env.Server.BaseUrl,
            async d => warm = await RunLoadAsync(http, tokens, walk, s.BookingClients, d, pay: false, created, ct), ct);
        c.Out.WriteLine($"   {warmed}; its last round: {warm!.Describe("bookings")}");

        var metricsBefore = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        await PgStats.ResetAsync(c.Env.Db, ct);
        var profiler = Profiler.Start(c, "bookings", TimeSpan.FromSeconds(2), Math.Max(3, Math.Min(10, s.BookingDuration - 4)));
        var cpuBefore = c.Env.Cpu.Take();
        var book = await RunLoadAsync(http, tokens, walk, s.BookingClients, TimeSpan.FromSeconds(s.BookingDuration), pay: false, created, ct);
        var bookCpu = CpuSampler.Between(cpuBefore, c.Env.Cpu.Take());
        var metricsAfter = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        var bookLatency = book.Latency.Summarize();
        c.Out.WriteLine($"   distinct spaces: {book.Describe("bookings (201)")}");
        c.Out.WriteLine($"   booking latency: {bookLatency}");
        c.Out.WriteLine($"   {bookCpu}");
        c.Out.WriteLine($"   {ServerMetrics.Runtime(metricsBefore, metricsAfter, book.Seconds, book.Ok, "booking")}");
        await PgStats.PrintAsync(c.Env.Db, c.Out, book.Seconds, ct);
        if (profiler is not null) await profiler.PrintAsync(c.Out);

        cpuBefore = c.Env.Cpu.Take();
        var paid = await RunLoadAsync(http, tokens, walk, s.BookingClients, TimeSpan.FromSeconds(s.BookingDuration), pay: true, created, ct);
        var paidCpu = CpuSampler.Between(cpuBefore, c.Env.Cpu.Take());
        var paidLatency = paid.Latency.Summarize();
        c.Out.WriteLine($"   book-and-pay: {paid.Describe("confirmed (201 then 200 confirmed)")}");
        c.Out.WriteLine($"   book-and-pay latency (both requests): {paidLatency}");
        c.Out.WriteLine($"   {paidCpu}");

        var race = await ContentionAsync(c, http, tokens, raced, tomorrow.AddDays(20), created, ct);

        var stored = await c.Env.ScalarAsync("select count(*) from reservations", ct);
        c.Out.WriteLine($"   verification: 201 answers {created.Value:N0}, rows in reservations {stored:N0} " +
            (stored == created.Value ? "(equal: nothing double-booked or lost)" : $"(DIFFER by {stored - created.Value:N0})"));

        c.Report.Add("bookings", "bookings/s, distinct spaces", book.Rate, "bookings/s", 1_000, Better.Higher,
            $"{s.BookingClients} clients, {s.BookingDrivers} drivers; p50 {bookLatency.P50:F1}, p90 {bookLatency.P90:F1} ms; {bookCpu.Server:F0}% server, {bookCpu.Postgres:F0}% PG, {bookCpu.Harness:F0}% harness CPU");
        c.Report.Add("bookings", "booking latency p99", bookLatency.P99, "ms", note: $"p50 {bookLatency.P50:F1} ms, p90 {bookLatency.P90:F1} ms");
        c.Report.Add("bookings", "non-201 answers, distinct spaces", book.Failed, "answers", 0, Better.Lower, book.Failed == 0 ? "" : book.FailureList());
        c.Report.Add("bookings", "book-and-pay/s (confirmed)", paid.Rate, "pairs/s",
            note: $"for information; p50 {paidLatency.P50:F1}, p99 {paidLatency.P99:F1} ms per pair; failures {paid.Failed:N0}{(paid.Failed == 0 ? "" : " (" + paid.FailureList() + ")")}");
        c.Report.Add("bookings", $"contention: rounds with exactly one winner ({s.ContentionClients} clients)", race.Won, "rounds", s.ContentionRounds, Better.Higher,
            $"exactly one winner in {race.Won}/{s.ContentionRounds} rounds; {race.Counts}");
        c.Report.Add("bookings", "contention latency p99", race.Latency.P99, "ms", note: $"from the common start; p50 {race.Latency.P50:F1} ms, max {race.Latency.Max:F1} ms");
        c.Report.Add("bookings", "reservations in DB ≠ 201 answers", Math.Abs(stored - created.Value), "rows", 0, Better.Lower, $"201 answers {created.Value:N0}, rows {stored:N0}");
    }

    /// <summary>Drivers as a client would make them: register, sign in, save a sandbox card. Any other answer stops the run.</summary>
    internal static async Task<string[]> RegisterDriversAsync(BenchContext c, HttpClient http, int count, CancellationToken ct, string prefix = "driver")
    {
        var tokens = new string[count];
        var started = Stopwatch.GetTimestamp();
        // Password hashing is deliberately slow; a few at a time keeps the two cores from thrashing.
        using var gate = new SemaphoreSlim(4);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(ct);
            try
            {
                var email = $"{prefix}{i:D4}@bench.example";
                using (var register = await http.PostAsJsonAsync("/api/v1/auth/register", new { email, password = Password, displayName = $"Bench driver {i}" }, ct))
                    await ExpectAsync(register, HttpStatusCode.Created, "register", ct);
                using (var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email, password = Password }, ct))
                {
                    await ExpectAsync(login, HttpStatusCode.OK, "login", ct);
                    tokens[i] = (await login.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accessToken").GetString()!;
                }
                using var method = new HttpRequestMessage(HttpMethod.Post, "/api/v1/me/payment-methods") { Content = JsonContent.Create(new { provider = "sandbox", token = "sandbox_ok" }) };
                method.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[i]);
                using var saved = await http.SendAsync(method, ct);
                await ExpectAsync(saved, HttpStatusCode.Created, "save a payment method", ct);
            }
            finally { gate.Release(); }
        }));
        c.Out.WriteLine($"   registered {count} drivers (register, login, sandbox payment method) in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        return tokens;
    }

    private static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode expected, string what, CancellationToken ct)
    {
        if (response.StatusCode != expected)
            throw new InvalidOperationException($"{what} was answered {(int)response.StatusCode} (expected {(int)expected}): {await response.Content.ReadAsStringAsync(ct)}");
    }

    /// <summary>
    /// Each worker books the next (space, hour) of the walk, so no two bookings ever collide; with <paramref name="pay"/>
    /// it then pays and a success is a confirmed reservation. Requests sent before the end are awaited, never cancelled.
    /// </summary>
    private static async Task<LoadResult> RunLoadAsync(HttpClient http, string[] tokens, SpaceWalk walk, int clients, TimeSpan duration, bool pay,
        StrongBox<long> created, CancellationToken ct)
    {
        var result = new LoadResult();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var token = tokens[w % tokens.Length];
            var mine = new Latencies();
            while (clock.Elapsed < duration && !ct.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                var booking = await SendAsync(http, token, "/api/v1/reservations", walk.Next());
                if (booking.Status == 201) Interlocked.Increment(ref created.Value);
                if (!pay) mine.Add(Latencies.Ms(started, Stopwatch.GetTimestamp()));
                if (booking.Status != 201)
                {
                    result.Fail("booking", booking);
                    continue;
                }
                if (pay)
                {
                    Guid id;
                    using (var reservation = JsonDocument.Parse(booking.Body)) id = reservation.RootElement.GetProperty("id").GetGuid();
                    var payment = await SendAsync(http, token, $"/api/v1/reservations/{id}/payment", null);
                    var confirmed = payment.Status == 200 && IsConfirmed(payment.Body);
                    if (!confirmed)
                    {
                        result.Fail("payment", payment);
                        continue;
                    }
                    mine.Add(Latencies.Ms(started, Stopwatch.GetTimestamp()));
                }
                Interlocked.Increment(ref result.Ok);
            }
            lock (result.Latency) result.Latency.AddRange(mine);
        }, ct)));
        result.Seconds = clock.Elapsed.TotalSeconds;
        return result;
    }

    private sealed record RaceResult(int Won, LatencySummary Latency, string Counts);

    /// <summary>
    /// Each round: every client gets its own connection and request ready, then all are released at once for one space
    /// with windows that overlap each other pairwise (starts a minute apart, four hours long).
    /// </summary>
    private static async Task<RaceResult> ContentionAsync(BenchContext c, HttpClient http, string[] tokens, (Guid Lot, Guid Space)[] raced, DateTimeOffset from,
        StrongBox<long> created, CancellationToken ct)
    {
        var n = c.Settings.ContentionClients;
        // Opens the connections the rounds will use, so a round measures the booking, not TCP handshakes.
        await RaceAsync(n, async _ =>
        {
            using var response = await http.GetAsync("/health/live", ct);
            return response.StatusCode;
        });
        var won = 0;
        var latencies = new Latencies();
        var totals = new SortedDictionary<int, long>();
        for (var round = 0; round < raced.Length; round++)
        {
            var (lot, space) = raced[round];
            var bodies = Enumerable.Range(0, n).Select(i => Body(lot, space, from.AddMinutes(i), from.AddMinutes(i).AddHours(4))).ToArray();
            var answers = await RaceAsync(n, i => SendAsync(http, tokens[i % tokens.Length], "/api/v1/reservations", bodies[i]));
            var statuses = answers.GroupBy(a => a.Answer.Status).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
            foreach (var (status, count) in statuses) totals[status] = totals.GetValueOrDefault(status) + count;
            var roundLatency = new Latencies();
            foreach (var a in answers) roundLatency.Add(a.Ms);
            latencies.AddRange(roundLatency);
            var inRound = roundLatency.Summarize();
            created.Value += statuses.GetValueOrDefault(201);
            var rows = await c.Env.ScalarAsync($"select count(*) from reservations where space_id = '{space}'", ct);
            var ok = statuses.GetValueOrDefault(201) == 1 && statuses.GetValueOrDefault(409) == n - 1 && rows == 1;
            if (ok) won++;
            c.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   race {round + 1,2}: {string.Join(", ", statuses.Select(kv => $"{kv.Value} × {Label(kv.Key)}"))}; rows on the space {rows}; p50 {inRound.P50:F1} ms, p99 {inRound.P99:F1} ms, max {inRound.Max:F1} ms; {(ok ? "ok" : "FAILED")}"));
            foreach (var odd in answers.Where(a => a.Answer.Status is not (201 or 409)).GroupBy(a => a.Answer.Status))
                c.Out.WriteLine($"      {Label(odd.Key)} body: {Clip(odd.First().Answer.Body)}");
        }
        var summary = latencies.Summarize();
        c.Out.WriteLine($"   exactly one winner in {won}/{raced.Length} rounds; latency from the common start over all rounds: {summary}");
        return new RaceResult(won, summary, string.Join(", ", totals.Select(kv => $"{kv.Value:N0} × {Label(kv.Key)}")) + " in total");
    }

    /// <summary>Starts <paramref name="n"/> calls as close together as the thread pool allows; each answer with its time since the release.</summary>
    private static async Task<(T Answer, double Ms)[]> RaceAsync<T>(int n, Func<int, Task<T>> call)
    {
        var go = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, n).Select(i => Task.Run(async () =>
        {
            var released = await go.Task;
            var answer = await call(i);
            return (answer, Latencies.Ms(released, Stopwatch.GetTimestamp()));
        })).ToArray();
        // Let the workers reach the barrier first; those that are late only start later, they are not lost.
        await Task.Delay(200);
        go.SetResult(Stopwatch.GetTimestamp());
        return await Task.WhenAll(tasks);
    }

    private readonly record struct Answer(int Status, string Body);

    /// <summary>Status 0 is a transport failure or a client timeout (the server may still have booked).</summary>
    private static async Task<Answer> SendAsync(HttpClient http, string token, string path, byte[]? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = Json;
        }
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await http.SendAsync(request);
            return new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new Answer(0, e.Message);
        }
    }

    // Every booking names a plate, as a driver who wants enforcement to see them does: the server seals it and writes its blind index.
    private static byte[] Body(Guid lot, Guid space, DateTimeOffset start, DateTimeOffset end) => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"{{\"lotId\":\"{lot}\",\"spaceId\":\"{space}\",\"start\":\"{start.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}\",\"end\":\"{end.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}\",\"plate\":\"{Plate(space)}\"}}"));

    /// <summary>The plate booked on a space: the plate lookup benchmark looks the same plates up again.</summary>
    internal static string Plate(Guid space) => "BN" + (space.GetHashCode() & 0x7FFFFFFF).ToString("D10", CultureInfo.InvariantCulture)[..8];

    private static bool IsConfirmed(string paid)
    {
        using var body = JsonDocument.Parse(paid);
        return body.RootElement.GetProperty("reservation").GetProperty("status").GetString() == "confirmed";
    }

    private static string Label(int status) => status == 0 ? "no answer" : status.ToString(CultureInfo.InvariantCulture);

    private static string Clip(string text) => text.Length <= 400 ? text : text[..400] + "…";

    /// <summary>Every space once for an hour, then every space for the next hour, and so on: bookings never overlap.</summary>
    private sealed class SpaceWalk((Guid Lot, Guid Space)[] spaces, DateTimeOffset first)
    {
        private long _next = -1;

        public byte[] Next()
        {
            var n = Interlocked.Increment(ref _next);
            var (lot, space) = spaces[n % spaces.Length];
            var start = first.AddHours(n / spaces.Length);
            return Body(lot, space, start, start.AddHours(1));
        }
    }

    private sealed class LoadResult
    {
        public long Ok;
        public double Seconds;
        public readonly Latencies Latency = new();
        private readonly SortedDictionary<string, long> _failures = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _samples = new(StringComparer.Ordinal);

        public double Rate => Seconds > 0 ? Ok / Seconds : 0;

        public long Failed
        {
            get { lock (_failures) return _failures.Values.Sum(); }
        }

        public void Fail(string step, Answer answer)
        {
            var key = $"{step} {Label(answer.Status)}";
            lock (_failures)
            {
                _failures[key] = _failures.GetValueOrDefault(key) + 1;
                _samples.TryAdd(key, Clip(answer.Body));
            }
        }

        public string FailureList()
        {
            lock (_failures) return string.Join(", ", _failures.Select(kv => $"{kv.Key}: {kv.Value:N0}"));
        }

        public string Describe(string what)
        {
            var text = string.Create(CultureInfo.InvariantCulture, $"{Ok:N0} {what} in {Seconds:F1} s = {Rate:N0}/s; failures {Failed:N0}");
            lock (_failures)
                foreach (var (key, count) in _failures)
                    text += $"\n      {key} × {count:N0}, e.g. {_samples[key]}";
            return text;
        }
    }
}
