using SmartParking.Tests.Infrastructure;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SmartParking.Tests.Operations;

/// <summary>A span as an OTLP collector receives it: its trace, its name and its string attributes.</summary>
public sealed record ReceivedSpan(string TraceId, string Name, IReadOnlyDictionary<string, string> Attributes, IReadOnlyDictionary<string, string> Resource);

/// <summary>
/// A stand-in OpenTelemetry collector on loopback: accepts OTLP/HTTP protobuf on POST /v1/traces and decodes the spans
/// with a minimal protobuf reader (field numbers from opentelemetry-proto's trace.proto and common.proto).
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentQueue<string> _contentTypes = new();

    public OtlpReceiver()
    {
        Port = FreePorts.One();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string BaseAddress => $"http://127.0.0.1:{Port}";

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans.ToArray();

    public IReadOnlyCollection<string> ContentTypes => _contentTypes.ToArray();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try { await _loop; } catch (HttpListenerException) { } catch (ObjectDisposedException) { }
        _listener.Close();
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.HttpMethod == "POST" && context.Request.Url!.AbsolutePath == "/v1/traces")
            {
                _contentTypes.Enqueue(context.Request.ContentType ?? "");
                foreach (var span in Decode(body.ToArray())) _spans.Enqueue(span);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
            }
            else context.Response.StatusCode = 404;
            context.Response.Close();
        }
    }

    // ExportTraceServiceRequest.resource_spans = 1; ResourceSpans.resource = 1, .scope_spans = 2; Resource.attributes = 1;
    // ScopeSpans.spans = 2; Span.trace_id = 1, .name = 5, .attributes = 9.
    private static IEnumerable<ReceivedSpan> Decode(byte[] request)
    {
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1))
        {
            var resource = Fields(resourceSpans.Bytes).Where(f => f.Number == 1).SelectMany(r => Attributes(r.Bytes, 1)).ToDictionary();
            foreach (var scopeSpans in Fields(resourceSpans.Bytes).Where(f => f.Number == 2))
            foreach (var span in Fields(scopeSpans.Bytes).Where(f => f.Number == 2))
            {
                var fields = Fields(span.Bytes).ToList();
                yield return new ReceivedSpan(
                    Convert.ToHexStringLower(fields.First(f => f.Number == 1).Bytes),
                    Encoding.UTF8.GetString(fields.First(f => f.Number == 5).Bytes),
                    Attributes(span.Bytes, 9).ToDictionary(), resource);
            }
        }
    }

    // KeyValue.key = 1, .value = 2 (AnyValue.string_value = 1); other value kinds are left out.
    private static IEnumerable<KeyValuePair<string, string>> Attributes(byte[] message, int field) =>
        from attribute in Fields(message).Where(f => f.Number == field)
        let parts = Fields(attribute.Bytes).ToList()
        let value = parts.Where(p => p.Number == 2).SelectMany(p => Fields(p.Bytes)).FirstOrDefault(v => v.Number == 1 && v.WireType == 2)
        where value.Bytes is not null
        select KeyValuePair.Create(Encoding.UTF8.GetString(parts.First(p => p.Number == 1).Bytes), Encoding.UTF8.GetString(value.Bytes));

    private readonly record struct Field(int Number, int WireType, byte[] Bytes);

    private static IEnumerable<Field> Fields(byte[] message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = ReadVarint(message, ref position);
            var (number, wireType) = ((int)(key >> 3), (int)(key & 7));
            switch (wireType)
            {
                case 0: ReadVarint(message, ref position); yield return new Field(number, wireType, []); break;
                case 1: position += 8; yield return new Field(number, wireType, []); break;
                case 5: position += 4; yield return new Field(number, wireType, []); break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    yield return new Field(number, wireType, message[position..(position + length)]);
                    position += length;
                    break;
                default: throw new InvalidDataException($"Unexpected protobuf wire type {wireType}");
            }
        }
    }

    private static ulong ReadVarint(byte[] message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }

}
