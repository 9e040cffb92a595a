using System.Globalization;
using System.Text;
using System.Text.Json;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Availability;

/// <summary>
/// One lot's object in a nearby answer, serialised once by the app's own JSON options and split around its only
/// per-request value, the distance: a request then copies bytes instead of serialising ~50 records.
/// </summary>
internal sealed class LotJson(byte[] head, byte[] tail)
{
    /// <summary>No type filter or one of the space types, each with and without byType.</summary>
    public static readonly int Shapes = (LotsVocabulary.SpaceTypes.Length + 1) * 2;

    /// <summary>Everything up to and including <c>"distanceMeters":</c>.</summary>
    public byte[] Head { get; } = head;

    /// <summary>Everything after the distance, closing brace included.</summary>
    public byte[] Tail { get; } = tail;

    /// <summary>The cache slot of a shape; the type has been validated as one of the space types (or is null).</summary>
    public static int Shape(string? type, bool byType) => (Array.IndexOf(LotsVocabulary.SpaceTypes, type) + 1) * 2 + (byType ? 1 : 0);

    public static LotJson Build(LotAvailability lot, JsonSerializerOptions options)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(lot, options);
        var name = options.PropertyNamingPolicy?.ConvertName(nameof(LotAvailability.DistanceMeters)) ?? nameof(LotAvailability.DistanceMeters);
        // A string value never holds an unescaped quote, so the first match is the property itself.
        var marker = Encoding.UTF8.GetBytes($"\"{name}\":");
        var at = json.AsSpan().IndexOf(marker);
        if (at < 0) throw new InvalidOperationException($"The serialised lot has no {name} property.");
        var value = at + marker.Length;
        var end = value + json.AsSpan(value).IndexOfAny((byte)',', (byte)'}');
        return new LotJson(json[..value], json[end..]);
    }
}

/// <summary>A nearby answer written straight to the response from each lot's cached <see cref="LotJson"/>.</summary>
internal sealed class NearbyAnswer(List<AvailabilityModel.NearbyLot> lots, string? type, bool byType, JsonSerializerOptions options) : IResult
{
    // A double's shortest round-trip form is at most 24 characters ("-1.2345678901234567E-308").
    private const int MaxNumber = 32;

    public Task ExecuteAsync(HttpContext http)
    {
        var response = http.Response;
        response.ContentType = "application/json; charset=utf-8";
        Write(response);
        var flush = response.BodyWriter.FlushAsync();
        return flush.IsCompletedSuccessfully ? Task.CompletedTask : flush.AsTask();
    }

    private void Write(HttpResponse response)
    {
        var shape = LotJson.Shape(type, byType);
        // Distances are formatted first so the length is known: the answer goes out with Content-Length, not chunked,
        // and is copied into one span (each new pipe segment takes the connection's output pipe lock).
        Span<byte> distances = stackalloc byte[lots.Count * MaxNumber];
        Span<int> lengths = stackalloc int[lots.Count];
        var total = 2 + Math.Max(0, lots.Count - 1);
        for (var i = 0; i < lots.Count; i++)
        {
            lengths[i] = FormatNumber(lots[i].DistanceMeters, distances.Slice(i * MaxNumber, MaxNumber));
            var json = Json(lots[i], shape);
            total += json.Head.Length + lengths[i] + json.Tail.Length;
        }
        response.ContentLength = total;

        var body = response.BodyWriter;
        var span = body.GetSpan(total);
        var n = 0;
        span[n++] = (byte)'[';
        for (var i = 0; i < lots.Count; i++)
        {
            var json = Json(lots[i], shape);
            if (i > 0) span[n++] = (byte)',';
            json.Head.CopyTo(span[n..]);
            n += json.Head.Length;
            distances.Slice(i * MaxNumber, lengths[i]).CopyTo(span[n..]);
            n += lengths[i];
            json.Tail.CopyTo(span[n..]);
            n += json.Tail.Length;
        }
        span[n++] = (byte)']';
        body.Advance(n);
    }

    private LotJson Json(AvailabilityModel.NearbyLot lot, int shape) => lot.Snapshot.Json(lot.Lot, shape, type, byType, options);

    /// <summary>As <see cref="Utf8JsonWriter"/> writes a double: shortest round-trip, invariant culture.</summary>
    internal static int FormatNumber(double value, Span<byte> destination) =>
        value.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture)
            ? written
            : throw new ArgumentException("The destination is too small for a number.", nameof(destination));
}
