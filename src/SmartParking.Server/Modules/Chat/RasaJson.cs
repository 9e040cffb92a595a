using System.Text.Json.Serialization;
using SmartParking.Server.Modules.Chat.Nlu;

namespace SmartParking.Server.Modules.Chat;

/// <summary><c>POST /model/parse</c>'s body, as Rasa takes it.</summary>
public sealed record RasaParseRequest(string? Text, [property: JsonPropertyName("message_id")] string? MessageId = null);

public sealed record RasaIntent(string Name, double Confidence);

public sealed record RasaEntity(
    string Entity,
    string Value,
    int Start,
    int End,
    string Extractor,
    [property: JsonPropertyName("confidence_entity"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Confidence,
    [property: JsonPropertyName("additional_info"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? AdditionalInfo);

/// <summary>What <c>POST /model/parse</c> answers, field for field as Rasa does.</summary>
public sealed record RasaParseResult(
    string Text,
    RasaIntent Intent,
    [property: JsonPropertyName("intent_ranking")] IReadOnlyList<RasaIntent> IntentRanking,
    IReadOnlyList<RasaEntity> Entities,
    [property: JsonPropertyName("message_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? MessageId)
{
    /// <summary>Rasa lists the ten best intents.</summary>
    private const int Ranked = 10;

    public static RasaParseResult From(NluParse parse, string? messageId) => new(
        parse.Text,
        new RasaIntent(parse.Intent.Name, Math.Round(parse.Intent.Confidence, 4)),
        parse.Ranking.Take(Ranked).Select(r => new RasaIntent(r.Name, Math.Round(r.Confidence, 4))).ToList(),
        parse.Entities.Select(e => new RasaEntity(e.Entity, e.Value, e.Start, e.End, e.Extractor, e.Confidence, e.Extra)).ToList(),
        messageId);
}

/// <summary><c>POST /webhooks/rest/webhook</c>'s body: who is talking and what they said.</summary>
public sealed record RasaRestMessage(string? Sender, [property: JsonConverter(typeof(ChatTextJsonConverter))] string? Message);

public sealed record RasaButton(string Title, string Payload);

/// <summary>One reply of the REST channel, as Rasa sends it.</summary>
public sealed record RasaRestReply(
    [property: JsonPropertyName("recipient_id")] string RecipientId,
    string Text,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<RasaButton>? Buttons)
{
    public static RasaRestReply From(string recipient, ChatReply reply) =>
        new(recipient, reply.Text, reply.Buttons is { Count: > 0 } b ? b.Select(x => new RasaButton(x.Title, x.Payload)).ToList() : null);
}

/// <summary>A message a person sent into the chat after a hand-over, as <c>GET /webhooks/rest/messages</c> lists it: a reply with its id and time.</summary>
public sealed record RasaRestMessageOut([property: JsonPropertyName("recipient_id")] string RecipientId, string Text, long Id, DateTimeOffset Timestamp);
