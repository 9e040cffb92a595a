using SmartParking.Server.Modules.Lots.Zones;

namespace SmartParking.Tests.ZoneRules;

/// <summary>The cities' compact notation, read into rules and written back.</summary>
public sealed class ZoneRuleNotationTests
{
    private const string Week = "mon,tue,wed,thu,fri,sat,sun";

    /// <summary>Text, then what it reads as: kind, days, from, to, max stay (0 for none), and how it is written back.</summary>
    public static TheoryData<string, string, string, string, string, int, string> Readable => new()
    {
        { "2P Mon-Fri 07:30-18:30", "max_stay", "mon,tue,wed,thu,fri", "07:30", "18:30", 120, "2P Mon–Fri 07:30–18:30" },
        { "2P Mon–Fri 07:30–18:30", "max_stay", "mon,tue,wed,thu,fri", "07:30", "18:30", 120, "2P Mon–Fri 07:30–18:30" },
        { "LZ 30M Sat 07:30-18:30", "loading", "sat", "07:30", "18:30", 30, "LZ 30M Sat 07:30–18:30" },
        { "1/2P", "max_stay", Week, "00:00", "24:00", 30, "1/2P Mon–Sun" },
        { "1/4P Mon-Sat", "max_stay", "mon,tue,wed,thu,fri,sat", "00:00", "24:00", 15, "1/4P Mon–Sat" },
        { "4P Mon-Sun", "max_stay", Week, "00:00", "24:00", 240, "4P Mon–Sun" },
        { "No Parking Mon-Fri 07:00-09:00", "no_parking", "mon,tue,wed,thu,fri", "07:00", "09:00", 0, "No Parking Mon–Fri 07:00–09:00" },
        { "no stopping sat,sun 7:00-9:00", "no_parking", "sat,sun", "07:00", "09:00", 0, "No Parking Sat–Sun 07:00–09:00" },
        { "Loading Zone Mon,Wed,Fri", "loading", "mon,wed,fri", "00:00", "24:00", 0, "LZ Mon, Wed, Fri" },
        { "90MIN Fri-Mon 22:00-06:00", "max_stay", "mon,fri,sat,sun", "22:00", "06:00", 90, "90M Mon, Fri–Sun 22:00–06:00" },
        { "  3p   Tues - Thurs  ", "max_stay", "tue,wed,thu", "00:00", "24:00", 180, "3P Tue–Thu" },
        { "1H Saturday 08:00-24:00", "max_stay", "sat", "08:00", "24:00", 60, "1P Sat 08:00–24:00" },
    };

    [Theory]
    [MemberData(nameof(Readable))]
    public void Parse_CityNotation_ReadsTheRuleAndWritesItBack(string text, string kind, string days, string from, string to, int maxStay, string written)
    {
        var (rule, error) = ZoneRuleNotation.Parse(text);

        error.ShouldBeNull();
        rule.ShouldNotBeNull();
        rule.Kind.ShouldBe(kind);
        string.Join(',', rule.Days).ShouldBe(days);
        (rule.From, rule.To).ShouldBe((from, to));
        rule.MaxStayMinutes.ShouldBe(maxStay == 0 ? null : maxStay);
        rule.Text.ShouldBe(written);
        var again = ZoneRuleNotation.Parse(rule.Text).Rule!;
        (again.Kind, string.Join(',', again.Days), again.From, again.To, again.MaxStayMinutes).ShouldBe((rule.Kind, days, from, to, rule.MaxStayMinutes),
            "what is written back reads as the same rule");
    }

    [Theory]
    [InlineData("")]
    [InlineData("Park here")]
    [InlineData("2X Mon-Fri")]
    [InlineData("2P Mon-Funday")]
    [InlineData("2P Mon-Fri 07:30")]
    [InlineData("2P Mon-Fri 7-18")]
    [InlineData("LZ thirty Sat")]
    [InlineData("No Parking 2P")]
    public void Parse_NotARule_SaysWhy(string text)
    {
        var (rule, error) = ZoneRuleNotation.Parse(text);

        rule.ShouldBeNull();
        error.ShouldNotBeNullOrWhiteSpace();
    }
}
