using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace SmartParking.Bench;

/// <summary>One availability change as it arrived, stamped the moment its data line was read.</summary>
internal readonly record struct SseChange(Guid SpaceId, string Status, long Version, long ArrivedAt);

/// <summary>
/// A subscriber to <c>/api/v1/availability/stream</c> for one lot. Lines are read as they come off the socket and the
/// arrival time taken right there, so the figure includes nothing of the harness's own matching work.
/// </summary>
internal sealed class SseListener : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SseChange> _changes = Channel.CreateUnbounded<SseChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _snapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reader = Task.CompletedTask;

    private SseListener(Uri baseUrl) =>
        // Its own connection: a stream held open must not take a slot from the load generators' pools.
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };

    public ChannelReader<SseChange> Changes => _changes.Reader;

    public static async Task<SseListener> ConnectAsync(Uri baseUrl, Guid lotId, TimeSpan timeout)
    {
        var listener = new SseListener(baseUrl);
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/availability/stream?lotId={lotId}");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var connect = new CancellationTokenSource(timeout);
        var response = await listener._http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connect.Token);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"The availability stream answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(connect.Token)}");
        var stream = await response.Content.ReadAsStreamAsync(connect.Token);
        listener._reader = Task.Run(() => listener.ReadAsync(response, stream));
        // The server sends a snapshot event first; once it is here the subscription is live.
        await listener._snapshot.Task.WaitAsync(timeout);
        return listener;
    }

    private async Task ReadAsync(HttpResponseMessage response, Stream stream)
    {
        using var owned = response;
        using var reader = new StreamReader(stream);
        string? eventName = null;
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var arrived = Stopwatch.GetTimestamp();
                if (line.StartsWith("event:", StringComparison.Ordinal)) eventName = line[6..].Trim();
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    if (eventName == "snapshot") _snapshot.TrySetResult();
                    else if (eventName == "availability")
                    {
                        using var data = JsonDocument.Parse(line[5..]);
                        var root = data.RootElement;
                        _changes.Writer.TryWrite(new SseChange(root.GetProperty("spaceId").GetGuid(), root.GetProperty("status").GetString() ?? "",
                            root.GetProperty("version").GetInt64(), arrived));
                    }
                }
                else if (line.Length == 0) eventName = null;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
        finally
        {
            _snapshot.TrySetException(new InvalidOperationException("The availability stream closed before its first event."));
            _changes.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _reader; } catch (InvalidOperationException) { }
        _http.Dispose();
        _stop.Dispose();
    }
}
