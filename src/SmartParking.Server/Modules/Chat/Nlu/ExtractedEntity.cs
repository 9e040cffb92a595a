namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>
/// An entity found in a message, as Rasa reports it: the entity name, its normalised value, the character span
/// [<see cref="Start"/>, <see cref="End"/>) in the text, and which extractor found it. <see cref="Extra"/> carries what a
/// value alone cannot say (a time's grain or interval end, a duration in seconds), Rasa's <c>additional_info</c>.
/// </summary>
public sealed record ExtractedEntity(
    string Entity,
    string Value,
    int Start,
    int End,
    string Extractor,
    double? Confidence = null,
    IReadOnlyDictionary<string, string>? Extra = null);
