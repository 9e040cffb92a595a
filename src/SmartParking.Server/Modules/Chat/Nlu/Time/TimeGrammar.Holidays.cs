namespace SmartParking.Server.Modules.Chat.Nlu.Time;

internal sealed partial class TimeGrammar
{
    /// <summary>A named day's date in a year.</summary>
    private delegate DateOnly DayIn(int year);

    /// <summary>
    /// Days people name instead of a date, in English and Danish (words folded as <see cref="TimeTokenizer.Fold"/> does),
    /// longest name first so "2. juledag" is not read as "juledag".
    /// </summary>
    private static readonly (string[] Words, DayIn Day)[] NamedDays = new (string Words, DayIn Day)[]
    {
        ("new year's eve", y => new(y, 12, 31)), ("new years eve", y => new(y, 12, 31)), ("new year's day", y => new(y, 1, 1)),
        ("new years day", y => new(y, 1, 1)), ("christmas eve", y => new(y, 12, 24)), ("xmas eve", y => new(y, 12, 24)),
        ("christmas day", y => new(y, 12, 25)), ("christmas", y => new(y, 12, 25)), ("xmas", y => new(y, 12, 25)),
        ("boxing day", y => new(y, 12, 26)), ("easter sunday", y => Easter(y)), ("easter monday", y => Easter(y).AddDays(1)),
        ("easter", y => Easter(y)), ("good friday", y => Easter(y).AddDays(-2)), ("maundy thursday", y => Easter(y).AddDays(-3)),
        ("ascension day", y => Easter(y).AddDays(39)), ("whit sunday", y => Easter(y).AddDays(49)), ("whitsunday", y => Easter(y).AddDays(49)),
        ("pentecost", y => Easter(y).AddDays(49)), ("whit monday", y => Easter(y).AddDays(50)), ("halloween", y => new(y, 10, 31)),
        ("1 . juledag", y => new(y, 12, 25)), ("foerste juledag", y => new(y, 12, 25)), ("2 . juledag", y => new(y, 12, 26)),
        ("anden juledag", y => new(y, 12, 26)), ("juleaftensdag", y => new(y, 12, 24)), ("juleaften", y => new(y, 12, 24)),
        ("juledag", y => new(y, 12, 25)), ("nytaarsaftensdag", y => new(y, 12, 31)), ("nytaarsaften", y => new(y, 12, 31)),
        ("nytaarsdag", y => new(y, 1, 1)), ("2 . paaskedag", y => Easter(y).AddDays(1)), ("anden paaskedag", y => Easter(y).AddDays(1)),
        ("paaskedag", y => Easter(y)), ("paaskesoendag", y => Easter(y)), ("paaske", y => Easter(y)), ("langfredag", y => Easter(y).AddDays(-2)),
        ("skaertorsdag", y => Easter(y).AddDays(-3)), ("kristi himmelfartsdag", y => Easter(y).AddDays(39)),
        ("kristi himmelfart", y => Easter(y).AddDays(39)), ("2 . pinsedag", y => Easter(y).AddDays(50)), ("anden pinsedag", y => Easter(y).AddDays(50)),
        ("pinsedag", y => Easter(y).AddDays(49)), ("pinse", y => Easter(y).AddDays(49)), ("grundlovsdag", y => new(y, 6, 5)),
        ("sankthansaften", y => new(y, 6, 23)), ("sankt hans aften", y => new(y, 6, 23)),
    }.Select(d => (d.Words.Split(' '), d.Day)).OrderByDescending(d => d.Item1.Length).ToArray();

    /// <summary>Words that may follow a one-word feast that is a date: a time, a part of the day or a joining word.</summary>
    private static readonly HashSet<string> AfterNamedDay = new(StringComparer.Ordinal)
    {
        "at", "kl", "klokken", "from", "fra", "for", "til", "to", "until", "in", "i", "and", "og", "morning", "afternoon", "evening",
        "night", "noon", "morgen", "formiddag", "eftermiddag", "aften", "nat", "middag",
    };

    /// <summary>"Christmas Eve", "on New Year's Day", "Easter Monday", "juleaften", "2. påskedag": its next date, today's if it is today.</summary>
    private (DateRef Date, int Next)? NamedDayAt(int i)
    {
        foreach (var (words, day) in NamedDays)
        {
            if (i + words.Length > tokens.Length) continue;
            var matches = true;
            for (var w = 0; w < words.Length && matches; w++) matches = tokens[i + w].Norm == words[w];
            if (!matches) continue;
            // "the Christmas market", "Easter Road": a one-word feast followed by a word is read as a date only before a time.
            var next = i + words.Length;
            if (words.Length == 1 && next < tokens.Length && tokens[next].Kind == TokenKind.Word && !AfterNamedDay.Contains(tokens[next].Norm)) continue;
            var date = day(calendar.Today.Year);
            if (date < calendar.Today) date = day(calendar.Today.Year + 1);
            return (new DateRef(date), i + words.Length);
        }
        return null;
    }

    /// <summary>Easter Sunday (Gregorian, the same in every Western church), which the movable feasts count from: the holiday package's.</summary>
    internal static DateOnly Easter(int year) => DateOnly.FromDateTime(PublicHoliday.DenmarkPublicHoliday.Easter(year));
}
