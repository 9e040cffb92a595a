using System.Globalization;
using System.Text.RegularExpressions;

namespace SmartParking.Server.Modules.Lots.Zones;

/// <summary>
/// The compact notation parking signs and city open data use: a kind, then optionally days, then optionally a window.
/// <list type="bullet">
/// <item>kind: <c>2P</c>, <c>1/2P</c>, <c>1/4P</c> (hours), <c>90M</c> or <c>90MIN</c> (minutes) for a maximum stay;
/// <c>LZ</c> or <c>Loading Zone</c>, optionally with such a duration; <c>No Parking</c> or <c>No Stopping</c>;</item>
/// <item>days: <c>Mon-Fri</c>, <c>Sat</c>, <c>Mon,Wed,Fri</c>, <c>Fri-Mon</c>; none means every day;</item>
/// <item>window: <c>07:30-18:30</c> (to before from runs overnight); none means the whole day.</item>
/// </list>
/// </summary>
public static partial class ZoneRuleNotation
{
    public const int MinutesPerDay = 24 * 60;
    private const string AllDays = "Mon–Sun";

    [GeneratedRegex("""
        ^(?:(?<none>no\s+(?:parking|stopping))
           |(?<loading>lz|loading(?:\s+zone)?)(?:\s+(?<duration>\d\S*))?
           |(?<duration>\d\S*))
         (?:\s+(?<days>[a-z]+(?:\s*[-,]\s*[a-z]+)*))?
         (?:\s+(?<from>\d{1,2}:\d{2})\s*-\s*(?<to>\d{1,2}:\d{2}))?$
        """, RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    [GeneratedRegex(@"^(?:(?<half>1/2)P|(?<quarter>1/4)P|(?<hours>\d{1,3})[PH]|(?<minutes>\d{1,5})(?:M|MIN|MINS))$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Duration();

    /// <summary>The rule the text describes, or the reason it cannot be read.</summary>
    public static (ZoneRule? Rule, string? Error) Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (null, "is empty.");
        var normal = Regex.Replace(text.Trim().Replace('–', '-').Replace('—', '-'), @"\s+", " ");
        var shape = Shape().Match(normal);
        if (!shape.Success) return (null, $"'{text}' is not a rule such as '2P Mon-Fri 07:30-18:30', 'LZ 30M Sat' or 'No Parking Mon-Fri 07:00-09:00'.");
        int? maxStay = null;
        if (shape.Groups["duration"].Success)
        {
            maxStay = Minutes(Duration().Match(shape.Groups["duration"].Value));
            if (maxStay is null) return (null, $"'{shape.Groups["duration"].Value}' is not a duration such as 2P, 1/2P or 30M.");
        }
        var kind = shape.Groups["none"].Success ? ZoneRuleKinds.NoParking : shape.Groups["loading"].Success ? ZoneRuleKinds.Loading : ZoneRuleKinds.MaxStay;
        var days = shape.Groups["days"].Success ? Days(shape.Groups["days"].Value) : LotsVocabulary.Days;
        if (days is null) return (null, $"'{shape.Groups["days"].Value}' is not days such as Mon-Fri, Sat or Mon,Wed.");
        var (from, to) = shape.Groups["from"].Success ? (Pad(shape.Groups["from"].Value), Pad(shape.Groups["to"].Value)) : ("00:00", "24:00");
        return (new ZoneRule(kind, days, from, to, maxStay), null);
    }

    /// <summary>The rule written the way it was read: "2P Mon–Fri 07:30–18:30", "LZ 30M Sat", "No Parking Mon–Fri 07:00–09:00".</summary>
    public static string Describe(ZoneRule rule)
    {
        var kind = rule.Kind switch
        {
            ZoneRuleKinds.NoParking => "No Parking",
            ZoneRuleKinds.Loading => rule.MaxStayMinutes is { } m ? $"LZ {m}M" : "LZ",
            _ => rule.MaxStayMinutes switch { 15 => "1/4P", 30 => "1/2P", { } m when m % 60 == 0 => $"{m / 60}P", var m => $"{m}M" },
        };
        var window = rule.From == "00:00" && rule.To == "24:00" ? "" : $" {rule.From}–{rule.To}";
        return $"{kind} {DescribeDays(rule.Days)}{window}";
    }

    /// <summary>Minutes since midnight of <c>HH:mm</c> (<c>24:00</c> is the day's end), or null when it is not such a time.</summary>
    public static int? Minutes(string? time) =>
        time == "24:00" ? MinutesPerDay
        : TimeSpan.TryParseExact(time, @"hh\:mm", CultureInfo.InvariantCulture, out var t) && t < TimeSpan.FromDays(1) ? (int)t.TotalMinutes : null;

    private static string Pad(string time) => time.Length == 4 ? "0" + time : time;

    private static int? Minutes(Match duration) =>
        !duration.Success ? null
        : duration.Groups["half"].Success ? 30
        : duration.Groups["quarter"].Success ? 15
        : duration.Groups["hours"].Success ? int.Parse(duration.Groups["hours"].Value, CultureInfo.InvariantCulture) * 60
        : int.Parse(duration.Groups["minutes"].Value, CultureInfo.InvariantCulture);

    /// <summary>Days in week order from "Mon-Fri", "Sat,Sun" or "Fri-Mon" (a range may wrap past Sunday); null if any is not a day.</summary>
    private static IReadOnlyList<string>? Days(string text)
    {
        var chosen = new HashSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length > 2) return null;
            var first = Day(ends[0]);
            var last = Day(ends[^1]);
            if (first is null || last is null) return null;
            for (var d = first.Value; ; d = (d + 1) % 7)
            {
                chosen.Add(d);
                if (d == last) break;
            }
        }
        return chosen.Order().Select(d => LotsVocabulary.Days[d]).ToList();
    }

    /// <summary>A day by its name or a start of it of three letters or more: "Mon", "Tues", "Thurs", "Saturday".</summary>
    private static int? Day(string name)
    {
        var lower = name.ToLowerInvariant();
        var index = lower.Length < 3 ? -1 : Array.FindIndex(FullNames, f => f.StartsWith(lower, StringComparison.Ordinal));
        return index >= 0 ? index : null;
    }

    private static readonly string[] FullNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    /// <summary>"Mon–Fri", "Sat", "Mon, Wed, Fri", "Mon–Sun": runs of consecutive days joined by a dash.</summary>
    private static string DescribeDays(IReadOnlyList<string> days)
    {
        var indices = days.Select(d => Array.IndexOf(LotsVocabulary.Days, d)).Where(i => i >= 0).Distinct().Order().ToList();
        if (indices.Count == 7) return AllDays;
        var runs = new List<string>();
        for (var i = 0; i < indices.Count;)
        {
            var j = i;
            while (j + 1 < indices.Count && indices[j + 1] == indices[j] + 1) j++;
            runs.Add(i == j ? Short(indices[i]) : $"{Short(indices[i])}–{Short(indices[j])}");
            i = j + 1;
        }
        return string.Join(", ", runs);
    }

    private static string Short(int day) => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(LotsVocabulary.Days[day]);
}
