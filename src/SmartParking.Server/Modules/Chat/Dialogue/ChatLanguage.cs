using SmartParking.Server.Modules.Chat.Nlu;

namespace SmartParking.Server.Modules.Chat.Dialogue;

/// <summary>
/// English or Danish, from the words of a message: each language's common small words and Danish letters count for it.
/// A message with no clear sign (a place name, "ok") keeps the conversation's language.
/// </summary>
public static class ChatLanguage
{
    public const string English = "en";
    public const string Danish = "da";

    private static readonly HashSet<string> DanishWords = new(StringComparer.Ordinal)
    {
        "jeg", "du", "mig", "min", "mit", "mine", "en", "et", "og", "er", "der", "det", "den", "til", "ved", "paa", "hvad", "hvor",
        "hvordan", "kan", "vil", "gerne", "ikke", "tak", "hej", "ja", "nej", "parkering", "plads", "pladser", "ledig", "ledige",
        "naer", "taet", "koster", "pris", "i", "morgen", "aften", "nu", "med", "for", "af", "om", "have", "har", "skal", "mange",
        "godmorgen", "farvel", "hjaelp", "bestil", "reserver", "afbestil", "annuller", "stop", "start", "mit", "noget", "nogen",
        "bil", "elbil", "timer", "time", "kvarter", "lige", "venligst", "goddag", "hejsa", "okay", "vel", "ogsaa", "sted",
    };

    private static readonly HashSet<string> EnglishWords = new(StringComparer.Ordinal)
    {
        "i", "me", "my", "you", "the", "a", "an", "and", "is", "are", "there", "it", "to", "at", "on", "near", "what", "where", "how",
        "can", "want", "would", "like", "not", "thanks", "thank", "hi", "hello", "yes", "no", "parking", "park", "space", "spot",
        "spots", "free", "close", "cost", "costs", "price", "tomorrow", "tonight", "now", "with", "for", "of", "in", "have", "need",
        "please", "book", "reserve", "cancel", "stop", "start", "help", "bye", "car", "hours", "hour", "minutes", "some", "any",
        "good", "morning", "much", "do", "does", "find", "show", "get", "pls", "okay", "this", "that",
    };

    private static readonly System.Buffers.SearchValues<char> DanishLetters = System.Buffers.SearchValues.Create("æøåÆØÅ");

    public static string Detect(string text, string current)
    {
        var danish = 0;
        var english = 0;
        foreach (var token in NluText.Tokens(text))
        {
            var word = token.Folded;
            if (token.Text.AsSpan().IndexOfAny(DanishLetters) >= 0) danish += 2;
            // Words both languages have ("i", "for", "start") count for neither.
            var inDanish = DanishWords.Contains(word);
            var inEnglish = EnglishWords.Contains(word);
            if (inDanish && !inEnglish) danish++;
            if (inEnglish && !inDanish) english++;
        }
        return danish > english ? Danish : english > danish ? English : current;
    }
}
