using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>A word of a message with where it stands in the original text.</summary>
public readonly record struct NluToken(string Text, int Start, int End)
{
    /// <summary>Folded once: the tagger and the word lists read each token's folded form many times.</summary>
    public string Folded { get; } = NluText.Fold(Text);
}

/// <summary>How the NLU reads text: words and punctuation as tokens, compared case- and accent-insensitively.</summary>
public static partial class NluText
{
    [GeneratedRegex(@"[\p{L}\p{M}\p{N}]+(?:['’][\p{L}]+)?|[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\s\p{L}\p{M}\p{N}]", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();

    /// <summary>
    /// The text with any lone UTF-16 surrogate (which JSON escapes can carry) replaced by U+FFFD, one character for one, so
    /// offsets still match the original and nothing downstream meets a string it cannot normalise.
    /// </summary>
    public static string WellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            var chars = text.ToCharArray();
            for (var j = i; j < chars.Length; j++)
            {
                if (!char.IsSurrogate(chars[j])) continue;
                if (char.IsHighSurrogate(chars[j]) && j + 1 < chars.Length && char.IsLowSurrogate(chars[j + 1])) j++;
                else chars[j] = '\ufffd';
            }
            return new string(chars);
        }
        return text;
    }

    public static IReadOnlyList<NluToken> Tokens(string text)
    {
        var tokens = new List<NluToken>();
        foreach (var m in TokenPattern().EnumerateMatches(text)) tokens.Add(new NluToken(text.Substring(m.Index, m.Length), m.Index, m.Index + m.Length));
        return tokens;
    }

    /// <summary>
    /// Lower case with Danish letters spelt out and other accents dropped, the way people type without a Danish keyboard:
    /// "På", "paa" and "pa" are close, "næste" and "naeste" equal.
    /// </summary>
    public static string Fold(string text)
    {
        if (IsFolded(text)) return text;
        var lower = text.ToLowerInvariant()
            .Replace("å", "aa", StringComparison.Ordinal).Replace("æ", "ae", StringComparison.Ordinal)
            .Replace("ø", "oe", StringComparison.Ordinal).Replace('’', '\'')
            .Normalize(NormalizationForm.FormD);
        var b = new StringBuilder(lower.Length);
        foreach (var c in lower)
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) b.Append(c);
        return b.ToString();
    }

    /// <summary>Plain lower-case ASCII (most words) folds to itself.</summary>
    private static bool IsFolded(string text)
    {
        foreach (var c in text)
            if (c > 0x7f || char.IsAsciiLetterUpper(c)) return false;
        return true;
    }

    /// <summary>
    /// The text with each place and plate replaced by its entity's name: which place a driver names says nothing about what
    /// they want, and an unseen name would otherwise read as unknown words.
    /// </summary>
    public static string Masked(string text, IReadOnlyList<ExtractedEntity> entities)
    {
        var masked = new StringBuilder(text.Length);
        var at = 0;
        foreach (var e in entities.Where(e => e.Entity is "location" or "plate").OrderBy(e => e.Start))
        {
            if (e.Start < at) continue;
            masked.Append(text, at, e.Start - at).Append(" ent").Append(e.Entity).Append(' ');
            at = e.End;
        }
        return masked.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>The folded words of a text joined by single spaces, punctuation dropped (what the intent classifier reads).</summary>
    public static string Words(string text) =>
        string.Join(' ', Tokens(text).Where(t => char.IsLetterOrDigit(t.Text[0])).Select(t => t.Folded));
}
