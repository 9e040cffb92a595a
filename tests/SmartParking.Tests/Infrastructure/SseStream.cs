using System.Net;
using System.Text;
using System.Text.Json;

namespace SmartParking.Tests.Infrastructure;

/// <summary>One Server-Sent Event: its name, id and data (the data lines joined by newlines).</summary>
public sealed record SseEvent(string? Event, string? Id, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();

    public override string ToString() => $"event: {Event} id: {Id} data: {Data}";
}

/// <summary>
/// A text/event-stream response read event by event, as a browser's EventSource would. Every read has a deadline,
/// so a missing event fails the test instead of hanging it.
/// </summary>
public sealed class SseStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseStream(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, Encoding.UTF8);
    }

    /// <summary>Every event read so far, for failure messages.</summary>
    public List<SseEvent> Seen { get; } = [];

    public static async Task<SseStream> OpenAsync(HttpClient client, string url, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        // A deadline without a token: TestServer ties a request's token to the whole response, not just its headers.
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(IngestKit.Eventually);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.Dispose();
            throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {body}");
        }
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/event-stream");
        return new SseStream(response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>Reads events until one matches, failing after <paramref name="timeout"/>; the skipped ones stay in <see cref="Seen"/>.</summary>
    public async Task<SseEvent> NextMatchingAsync(Func<SseEvent, bool> match, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? IngestKit.Eventually);
        try
        {
            while (true)
            {
                var next = await ReadEventAsync(cts.Token);
                if (match(next)) return next;
            }
        }
        // TestServer reports a cancelled read as an aborted request rather than as a cancellation.
        catch (Exception e) when (cts.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            throw new TimeoutException($"No SSE event for {what}; received: [{string.Join("; ", Seen)}]");
        }
    }

    public Task<SseEvent> NextAsync(string what, TimeSpan? timeout = null) => NextMatchingAsync(_ => true, what, timeout);

    private async Task<SseEvent> ReadEventAsync(CancellationToken ct)
    {
        string? name = null, id = null;
        var data = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(ct) ?? throw new EndOfStreamException($"The event stream ended; received: [{string.Join("; ", Seen)}]");
            if (line.Length == 0)
            {
                if (data.Count == 0 && name is null && id is null) continue;
                var sse = new SseEvent(name, id, string.Join('\n', data));
                Seen.Add(sse);
                return sse;
            }
            if (line.StartsWith(':')) continue;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "event": name = value; break;
                case "id": id = value; break;
                case "data": data.Add(value); break;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
