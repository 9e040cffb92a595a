using System.Globalization;
using System.Text;

namespace SmartParking.Server.Modules.Chat.Nlu.Time;

internal enum TokenKind { Word, Number, Symbol }

/// <summary>
/// A word, a run of ASCII digits or one other character (a surrogate pair counts as one), with its span in the
/// original text. <see cref="Norm"/> is the folded form the grammar compares.
/// </summary>
internal readonly record struct TimeToken(TokenKind Kind, string Norm, int Start, int End);

internal static class TimeTokenizer
{
    public static TimeToken[] Tokenize(string text)
    {
        var tokens = new List<TimeToken>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            var start = i;
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                tokens.Add(new TimeToken(TokenKind.Number, text[start..i], start, i));
            }
            else if (char.IsLetter(c))
            {
                while (i < text.Length && (IsWordChar(text[i]) || (IsApostrophe(text[i]) && i + 1 < text.Length && char.IsLetter(text[i + 1])))) i++;
                tokens.Add(new TimeToken(TokenKind.Word, Fold(text[start..i]), start, i));
            }
            else
            {
                i += char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
                tokens.Add(new TimeToken(TokenKind.Symbol, IsApostrophe(c) ? "'" : text[start..i], start, i));
            }
        }
        return Codes(text, tokens);
    }

    /// <summary>
    /// Letters and digits run together with a digit right after a letter ("dec3", "68dec3", "AB12") are a name or a
    /// code: one word the grammar knows nothing of, so no date is read inside it. A number with letters after it ("9am",
    /// "2h", "5th") is left as it is.
    /// </summary>
    private static TimeToken[] Codes(string text, List<TimeToken> tokens)
    {
        var result = new List<TimeToken>(tokens.Count);
        for (var i = 0; i < tokens.Count;)
        {
            var last = i;
            var code = false;
            while (last + 1 < tokens.Count && tokens[last + 1].Start == tokens[last].End
                   && tokens[last].Kind != TokenKind.Symbol && tokens[last + 1].Kind != TokenKind.Symbol)
            {
                code |= tokens[last].Kind == TokenKind.Word && tokens[last + 1].Kind == TokenKind.Number;
                last++;
            }
            if (code) result.Add(new TimeToken(TokenKind.Word, Fold(text[tokens[i].Start..tokens[last].End]), tokens[i].Start, tokens[last].End));
            else for (var k = i; k <= last; k++) result.Add(tokens[k]);
            i = last + 1;
        }
        return result.ToArray();
    }

    /// <summary>
    /// Lower case, æ→ae, ø→oe, å→aa (the usual spelling without Danish letters), other accents dropped, so "Lørdag",
    /// "loerdag" and "PÅ" compare with the lexicon's "loerdag" and "paa".
    /// </summary>
    public static string Fold(string word)
    {
        var folded = new StringBuilder(word.Length + 2);
        foreach (var c in word.Normalize(NormalizationForm.FormC).ToLowerInvariant())
        {
            switch (c)
            {
                case 'æ': folded.Append("ae"); break;
                case 'ø': folded.Append("oe"); break;
                case 'å': folded.Append("aa"); break;
                default:
                    if (IsApostrophe(c)) folded.Append('\'');
                    else folded.Append(c);
                    break;
            }
        }
        var decomposed = folded.ToString().Normalize(NormalizationForm.FormD);
        var plain = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) plain.Append(c);
        return plain.ToString();
    }

    private static bool IsWordChar(char c) =>
        char.IsLetter(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark;

    private static bool IsApostrophe(char c) => c is '\'' or '’';
}
