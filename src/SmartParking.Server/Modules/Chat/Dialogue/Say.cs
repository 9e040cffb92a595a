using System.Globalization;

namespace SmartParking.Server.Modules.Chat.Dialogue;

/// <summary>Picks a reply's text in the conversation's language.</summary>
public readonly record struct Say(string Language)
{
    private static readonly CultureInfo Danish = CultureInfo.GetCultureInfo("da-DK");

    public string T(string english, string danish) => Language == ChatLanguage.Danish ? danish : english;

    /// <summary>A day as replies write it, from a wall-clock time: "Tue 8 Dec", "tir. 8. dec.".</summary>
    public string Day(DateTime local) => T(local.ToString("ddd d MMM", CultureInfo.InvariantCulture), local.ToString("ddd d. MMM", Danish));
}
