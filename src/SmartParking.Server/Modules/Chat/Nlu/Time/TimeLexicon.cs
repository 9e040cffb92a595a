using System.Collections.Frozen;

namespace SmartParking.Server.Modules.Chat.Nlu.Time;

internal enum Language { Neutral, English, Danish }

internal enum DayPart { Morning, Afternoon, Evening, Night }

/// <summary>The words the time grammar knows, in folded form (see <see cref="TimeTokenizer.Fold"/>).</summary>
internal static class TimeLexicon
{
    public static readonly FrozenDictionary<string, (int Value, Language Language)> NumberWords = new Dictionary<string, (int, Language)>
    {
        ["one"] = (1, Language.English), ["two"] = (2, Language.English), ["three"] = (3, Language.English),
        ["four"] = (4, Language.English), ["five"] = (5, Language.English), ["six"] = (6, Language.English),
        ["seven"] = (7, Language.English), ["eight"] = (8, Language.English), ["nine"] = (9, Language.English),
        ["ten"] = (10, Language.English), ["eleven"] = (11, Language.English), ["twelve"] = (12, Language.English),
        ["fifteen"] = (15, Language.English), ["twenty"] = (20, Language.English), ["thirty"] = (30, Language.English),
        ["forty"] = (40, Language.English), ["sixty"] = (60, Language.English),
        ["ninety"] = (90, Language.English),
        ["en"] = (1, Language.Danish), ["et"] = (1, Language.Danish), ["to"] = (2, Language.Danish), ["tre"] = (3, Language.Danish),
        ["fire"] = (4, Language.Danish), ["fem"] = (5, Language.Danish), ["seks"] = (6, Language.Danish),
        ["syv"] = (7, Language.Danish), ["otte"] = (8, Language.Danish), ["ni"] = (9, Language.Danish),
        ["ti"] = (10, Language.Danish), ["elleve"] = (11, Language.Danish), ["tolv"] = (12, Language.Danish),
        ["femten"] = (15, Language.Danish), ["tyve"] = (20, Language.Danish), ["tredive"] = (30, Language.Danish),
        ["fyrre"] = (40, Language.Danish), ["femogfyrre"] = (45, Language.Danish), ["halvfems"] = (90, Language.Danish),
    }.ToFrozenDictionary();

    /// <summary>Seconds per unit; short forms ("h", "t", "min") count only after digits ("2h", not "to h").</summary>
    public static readonly FrozenDictionary<string, (long Seconds, Language Language, bool DigitsOnly)> Units = new Dictionary<string, (long, Language, bool)>
    {
        ["minute"] = (60, Language.English, false), ["minutes"] = (60, Language.English, false),
        ["mins"] = (60, Language.English, true), ["min"] = (60, Language.Neutral, true),
        ["minut"] = (60, Language.Danish, false), ["minutter"] = (60, Language.Danish, false),
        ["hour"] = (3600, Language.English, false), ["hours"] = (3600, Language.English, false),
        ["hr"] = (3600, Language.English, true), ["hrs"] = (3600, Language.English, true), ["h"] = (3600, Language.Neutral, true),
        ["time"] = (3600, Language.Danish, false), ["timer"] = (3600, Language.Danish, false), ["t"] = (3600, Language.Danish, true),
        ["day"] = (86400, Language.English, false), ["days"] = (86400, Language.English, false),
        ["dag"] = (86400, Language.Danish, false), ["dage"] = (86400, Language.Danish, false), ["doegn"] = (86400, Language.Danish, false),
        ["week"] = (604800, Language.English, false), ["weeks"] = (604800, Language.English, false),
        ["uge"] = (604800, Language.Danish, false), ["uger"] = (604800, Language.Danish, false),
    }.ToFrozenDictionary();

    public static readonly FrozenDictionary<string, int> Months = new Dictionary<string, int>
    {
        ["january"] = 1, ["januar"] = 1, ["jan"] = 1, ["february"] = 2, ["februar"] = 2, ["feb"] = 2,
        ["march"] = 3, ["marts"] = 3, ["mar"] = 3, ["april"] = 4, ["apr"] = 4, ["may"] = 5, ["maj"] = 5,
        ["june"] = 6, ["juni"] = 6, ["jun"] = 6, ["july"] = 7, ["juli"] = 7, ["jul"] = 7, ["august"] = 8, ["aug"] = 8,
        ["september"] = 9, ["sep"] = 9, ["sept"] = 9, ["october"] = 10, ["oktober"] = 10, ["oct"] = 10, ["okt"] = 10,
        ["november"] = 11, ["nov"] = 11, ["december"] = 12, ["dec"] = 12,
    }.ToFrozenDictionary();

    public static readonly FrozenDictionary<string, DayOfWeek> Weekdays = new Dictionary<string, DayOfWeek>
    {
        ["monday"] = DayOfWeek.Monday, ["tuesday"] = DayOfWeek.Tuesday, ["wednesday"] = DayOfWeek.Wednesday,
        ["thursday"] = DayOfWeek.Thursday, ["friday"] = DayOfWeek.Friday, ["saturday"] = DayOfWeek.Saturday, ["sunday"] = DayOfWeek.Sunday,
        ["mandag"] = DayOfWeek.Monday, ["tirsdag"] = DayOfWeek.Tuesday, ["onsdag"] = DayOfWeek.Wednesday, ["torsdag"] = DayOfWeek.Thursday,
        ["fredag"] = DayOfWeek.Friday, ["loerdag"] = DayOfWeek.Saturday, ["lordag"] = DayOfWeek.Saturday,
        ["soendag"] = DayOfWeek.Sunday, ["sondag"] = DayOfWeek.Sunday,
    }.ToFrozenDictionary();

    /// <summary>Part-of-day words that may follow a date bare ("tomorrow morning", "mandag morgen", "i morgen tidlig").</summary>
    public static readonly FrozenDictionary<string, DayPart> DayParts = new Dictionary<string, DayPart>
    {
        ["morning"] = DayPart.Morning, ["afternoon"] = DayPart.Afternoon, ["evening"] = DayPart.Evening, ["night"] = DayPart.Night,
        ["morgen"] = DayPart.Morning, ["tidlig"] = DayPart.Morning, ["formiddag"] = DayPart.Morning,
        ["eftermiddag"] = DayPart.Afternoon, ["aften"] = DayPart.Evening, ["nat"] = DayPart.Night,
    }.ToFrozenDictionary();

    /// <summary>Danish "i X" parts of today ("i aften", "i nat"); "i morgen" is tomorrow, not a part.</summary>
    public static readonly FrozenDictionary<string, DayPart> DanishTodayParts = new Dictionary<string, DayPart>
    {
        ["aften"] = DayPart.Evening, ["nat"] = DayPart.Night, ["formiddag"] = DayPart.Morning,
        ["eftermiddag"] = DayPart.Afternoon, ["morges"] = DayPart.Morning,
    }.ToFrozenDictionary();

    /// <summary>Danish "om X-en" ("om morgenen", "om aftenen"), the same as English "in the X".</summary>
    public static readonly FrozenDictionary<string, DayPart> DanishDefiniteParts = new Dictionary<string, DayPart>
    {
        ["morgenen"] = DayPart.Morning, ["formiddagen"] = DayPart.Morning, ["eftermiddagen"] = DayPart.Afternoon,
        ["aftenen"] = DayPart.Evening, ["natten"] = DayPart.Night,
    }.ToFrozenDictionary();

    public static readonly FrozenSet<string> Currencies = FrozenSet.ToFrozenSet(["kr", "dkk", "kroner", "krone", "eur", "euro", "euros", "usd", "$", "€", "£"]);

    /// <summary>
    /// Words after a number that make it a count, an amount or a rate, not an hour: "at 2 people", "between 2 and 4
    /// spaces", "12.50 per hour".
    /// </summary>
    public static readonly FrozenSet<string> CountNouns = FrozenSet.ToFrozenSet(
    [
        "space", "spaces", "spot", "spots", "plads", "pladser", "people", "persons", "person", "personer", "car", "cars",
        "bil", "biler", "vehicles", "level", "levels", "etage", "floor", "percent", "procent", "pct", "%", "stk", "x",
        "kr", "dkk", "kroner", "krone", "eur", "euro", "euros", "usd", "$", "€", "£", "kw", "kwh", "per", "pr", "each", "hver",
    ]);

    public static readonly FrozenSet<string> Next = FrozenSet.ToFrozenSet(["next", "coming", "naeste", "naste", "kommende"]);
    public static readonly FrozenSet<string> This = FrozenSet.ToFrozenSet(["this", "denne"]);
    public static readonly FrozenSet<string> On = FrozenSet.ToFrozenSet(["on", "paa", "pa"]);
    public static readonly FrozenSet<string> Until = FrozenSet.ToFrozenSet(["until", "till", "untill", "indtil"]);
    public static readonly FrozenSet<string> RangeTo = FrozenSet.ToFrozenSet(["to", "till", "until", "til"]);
    public static readonly FrozenSet<string> Dashes = FrozenSet.ToFrozenSet(["-", "–", "—"]);
    public static readonly FrozenSet<string> Ordinals = FrozenSet.ToFrozenSet(["st", "nd", "rd", "th"]);
}
