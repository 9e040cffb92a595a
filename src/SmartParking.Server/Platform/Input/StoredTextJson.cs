using System.Text.Json;
using System.Text.Json.Serialization;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Platform.Input;

/// <summary>
/// Every string bound from a JSON body is checked as it is read, so a NUL is a 400 naming the field (the serializer
/// reports the path) instead of a database error later. Unpaired surrogates the serializer refuses by itself.
/// </summary>
public sealed class StoredTextJsonConverter : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("must be a string.");
        var value = reader.GetString();
        if (reader.ValueIsEscaped && StoredText.Problem(value) is { } problem) throw new JsonException(problem);
        return value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>Query values with a NUL (<c>%00</c>) are refused before any endpoint runs, naming the parameter.</summary>
public static class StoredTextQuery
{
    public static void UseStoredTextQuery(this WebApplication app) => app.Use((http, next) =>
    {
        if (http.Request.Path.Value?.Contains('\0') == true) throw new ValidationException("path", StoredText.Problem("\0")!);
        if (http.Request.QueryString.HasValue)
            foreach (var (key, values) in http.Request.Query)
            {
                if (key.Contains('\0')) throw new ValidationException("query", "a parameter name " + StoredText.Problem("\0"));
                foreach (var value in values)
                    if (value?.Contains('\0') == true) throw new ValidationException(key, StoredText.Problem(value)!);
            }
        return next(http);
    });
}
