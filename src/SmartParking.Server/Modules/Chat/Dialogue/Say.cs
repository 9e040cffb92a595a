namespace SmartParking.Server.Modules.Chat.Dialogue;

/// <summary>Picks a reply's text in the conversation's language.</summary>
public readonly record struct Say(string Language)
{
    public string T(string english, string danish) => Language == ChatLanguage.Danish ? danish : english;
}
