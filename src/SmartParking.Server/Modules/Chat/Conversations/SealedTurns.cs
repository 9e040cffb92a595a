using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Chat.Conversations;

/// <summary>
/// A conversation's turns as stored: compressed, then sealed. Sealed bytes do not compress, and ten turns sealed whole
/// went out of line to TOAST, a second write on every message; compressed first they stay in the row. Turns sealed as
/// plain JSON (before, or by the protection sweep from the old clear column) still open.
/// </summary>
internal static class SealedTurns
{
    /// <summary>Marks compressed turns; plain JSON starts with '['.</summary>
    private const byte Compressed = 1;

    /// <summary>Brotli's fastest level: a message's turns are a few KB of text, written on every message.</summary>
    private const int Quality = 1;

    private const int Window = 16;

    /// <summary>Far more than ten turns of messages capped at Chat:MaxMessageChars can take; a larger length is corrupt.</summary>
    private const int MaxJsonBytes = 16 * 1024 * 1024;

    /// <summary>How turns and dialogue state are written as JSON, sealed or not.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>This thread's buffer for the JSON of the turns being sealed (sealing is synchronous, so one thread seals one at a time).</summary>
    [ThreadStatic] private static ArrayBufferWriter<byte>? jsonBuffer;

    [ThreadStatic] private static Utf8JsonWriter? jsonWriter;

    public static byte[] Seal(FieldProtector protector, IReadOnlyList<ChatTurn> turns)
    {
        // Written into buffers kept between messages: a conversation is sealed on every message, and new buffers for its
        // JSON and its compressed form were a fifth of all the assistant allocated.
        var buffer = jsonBuffer ??= new ArrayBufferWriter<byte>(8 * 1024);
        buffer.ResetWrittenCount();
        var writer = jsonWriter ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, turns, TurnsJson.Default.IReadOnlyListChatTurn);
        var json = buffer.WrittenSpan;
        var packed = ArrayPool<byte>.Shared.Rent(5 + BrotliEncoder.GetMaxCompressedLength(json.Length));
        try
        {
            packed[0] = Compressed;
            BinaryPrimitives.WriteInt32LittleEndian(packed.AsSpan(1), json.Length);
            if (!BrotliEncoder.TryCompress(json, packed.AsSpan(5), out var written, Quality, Window))
                throw new InvalidOperationException("Turns did not compress into their bound.");
            return protector.SealBytes(packed.AsSpan(0, 5 + written), ConversationStore.TurnsField);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packed);
            // A rare long conversation does not keep a large buffer on the thread for good.
            if (buffer.Capacity > 64 * 1024) jsonBuffer = null;
        }
    }

    public static List<ChatTurn> Open(FieldProtector protector, byte[] sealedTurns) =>
        JsonSerializer.Deserialize(OpenJson(protector, sealedTurns), TurnsJson.Default.ListChatTurn) ?? [];

    /// <summary>The turns as JSON text, for the driver's export.</summary>
    public static string OpenText(FieldProtector protector, byte[] sealedTurns) => System.Text.Encoding.UTF8.GetString(OpenJson(protector, sealedTurns));

    private static byte[] OpenJson(FieldProtector protector, byte[] sealedTurns)
    {
        var opened = protector.OpenBytes(sealedTurns, ConversationStore.TurnsField);
        if (opened.Length == 0 || opened[0] != Compressed) return opened;
        var length = opened.Length >= 5 ? BinaryPrimitives.ReadInt32LittleEndian(opened.AsSpan(1)) : -1;
        if (length is < 0 or > MaxJsonBytes) throw new InvalidDataException("Stored turns are corrupt.");
        var json = new byte[length];
        if (!BrotliDecoder.TryDecompress(opened.AsSpan(5), json, out var written) || written != length)
            throw new InvalidDataException("Stored turns are corrupt.");
        return json;
    }
}

/// <summary>
/// Turns as JSON with <see cref="SealedTurns.Json"/>'s settings, by code generated at build time: the same bytes in half
/// the time of the reflection-based serializer, on every message.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(IReadOnlyList<ChatTurn>))]
[JsonSerializable(typeof(List<ChatTurn>))]
internal sealed partial class TurnsJson : JsonSerializerContext;
