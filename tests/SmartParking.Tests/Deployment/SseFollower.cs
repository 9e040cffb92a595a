using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace SmartParking.Tests.Deployment;

/// <summary>
/// An SSE client as a browser's EventSource: follows the stream through the proxy, and when it breaks connects again
/// with the last event id it saw, keeping the latest status of each space.
/// </summary>
public sealed class SseFollower(Uri proxy, string path)
{
    private readonly Stopwatch _sinceBreak = new();

    public ConcurrentDictionary<Guid, string?> Latest { get; } = new();
    public string? Node { get; private set; }
    public int Reconnects { get; private set; }
    public bool Resumed { get; private set; }
    public TimeSpan LongestGap { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = proxy, Timeout = Timeout.InfiniteTimeSpan };
        string? lastId = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (lastId is not null) request.Headers.Add("Last-Event-ID", lastId);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (!response.IsSuccessStatusCode) throw new HttpRequestException($"stream answered {(int)response.StatusCode}");
                Node = response.Headers.TryGetValues("X-Served-By", out var by) ? by.First() : Node;
                if (_sinceBreak.IsRunning)
                {
                    LongestGap = LongestGap > _sinceBreak.Elapsed ? LongestGap : _sinceBreak.Elapsed;
                    _sinceBreak.Reset();
                    Resumed = true;
                }
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                string? eventName = null, id = null, data = null;
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.StartsWith("event:", StringComparison.Ordinal)) eventName = line[6..].Trim();
                    else if (line.StartsWith("id:", StringComparison.Ordinal)) id = line[3..].Trim();
                    else if (line.StartsWith("data:", StringComparison.Ordinal)) data = line[5..].Trim();
                    else if (line.Length == 0)
                    {
                        if (eventName == "availability" && data is not null)
                        {
                            var change = JsonDocument.Parse(data).RootElement;
                            Latest[change.GetProperty("spaceId").GetGuid()] = change.GetProperty("status").GetString();
                        }
                        if (id is not null) lastId = id;
                        eventName = id = data = null;
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested)) { }
            catch (OperationCanceledException) { return; }
            if (ct.IsCancellationRequested) return;
            if (!_sinceBreak.IsRunning) { _sinceBreak.Start(); Reconnects++; }
            // EventSource's reconnection delay, shortened.
            try { await Task.Delay(100, ct); }
            catch (OperationCanceledException) { return; }
        }
    }
}
