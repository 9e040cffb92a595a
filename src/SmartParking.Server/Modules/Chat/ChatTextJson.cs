using System.Text.Json;
using System.Text.Json.Serialization;

namespace SmartParking.Server.Modules.Chat;

/// <summary>
/// A chat message as sent, control characters and all: the assistant answers binary noise politely instead of the
/// platform's 400 for text it would not store (it stores the message only after cleaning it). A number is read as its
/// digits; anything else that is not text is refused.
/// </summary>
public sealed class ChatTextJsonConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
        _ => throw new JsonException("must be text."),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
