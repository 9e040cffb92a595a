using System.Globalization;
using System.Text;
using System.Xml;
using CsCheck;
using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Tests.Fuzz;

namespace SmartParking.Tests.Chat;

/// <summary>
/// The rule-based time and duration extractor against fixed clocks: Saturday 5 December 2026 at 20:42 in
/// Copenhagen (evening, so "at 9" is tonight) and Monday 7 December at 07:30:20 (morning, seconds to round).
/// </summary>
public sealed class TimeExpressionsTests
{
    private static readonly TimeZoneInfo Copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
    private static readonly DateTimeOffset SaturdayEvening = new(2026, 12, 5, 20, 42, 0, TimeSpan.FromHours(1));
    private static readonly DateTimeOffset MondayMorning = new(2026, 12, 7, 7, 30, 20, TimeSpan.FromHours(1));

    private static ExtractedEntity Single(string text, DateTimeOffset now)
    {
        var found = TimeExpressions.Find(text, now, Copenhagen);
        found.Count.ShouldBe(1, $"{text} → {string.Join("; ", found.Select(Describe))}");
        return found[0];
    }

    private static string Describe(ExtractedEntity e) =>
        $"{e.Entity} [{e.Start},{e.End}) {e.Value} {string.Join(",", e.Extra?.Select(kv => $"{kv.Key}={kv.Value}") ?? [])}";

    private static void ShouldFindTime(string text, DateTimeOffset now, string span, string value, string grain, string? to)
    {
        var found = Single(text, now);
        found.Entity.ShouldBe("time");
        text[found.Start..found.End].ShouldBe(span);
        found.Value.ShouldBe(value);
        found.Extractor.ShouldBe("TimeExpressions");
        found.Extra.ShouldNotBeNull();
        found.Extra["grain"].ShouldBe(grain);
        if (to is null) found.Extra.ContainsKey("to").ShouldBeFalse();
        else found.Extra["to"].ShouldBe(to);
    }

    [Theory]
    [InlineData("now", "now", "2026-12-05T20:42:00+01:00", "minute", null)]
    [InlineData("can I park right now?", "right now", "2026-12-05T20:42:00+01:00", "minute", null)]
    [InlineData("today", "today", "2026-12-05T00:00:00+01:00", "day", null)]
    [InlineData("tonight", "tonight", "2026-12-05T20:45:00+01:00", "hour", "2026-12-06T00:00:00+01:00")]
    [InlineData("this morning", "this morning", "2026-12-05T08:00:00+01:00", "hour", "2026-12-05T12:00:00+01:00")]
    [InlineData("this afternoon", "this afternoon", "2026-12-05T12:00:00+01:00", "hour", "2026-12-05T17:00:00+01:00")]
    [InlineData("this evening", "this evening", "2026-12-05T20:45:00+01:00", "hour", "2026-12-06T00:00:00+01:00")]
    [InlineData("tomorrow", "tomorrow", "2026-12-06T00:00:00+01:00", "day", null)]
    [InlineData("tomorrow morning", "tomorrow morning", "2026-12-06T08:00:00+01:00", "hour", "2026-12-06T12:00:00+01:00")]
    [InlineData("tomorrow afternoon", "tomorrow afternoon", "2026-12-06T12:00:00+01:00", "hour", "2026-12-06T17:00:00+01:00")]
    [InlineData("tomorrow evening", "tomorrow evening", "2026-12-06T18:00:00+01:00", "hour", "2026-12-07T00:00:00+01:00")]
    [InlineData("tomorrow night", "tomorrow night", "2026-12-06T22:00:00+01:00", "hour", "2026-12-07T06:00:00+01:00")]
    [InlineData("the day after tomorrow", "the day after tomorrow", "2026-12-07T00:00:00+01:00", "day", null)]
    [InlineData("next Monday", "next Monday", "2026-12-07T00:00:00+01:00", "day", null)]
    [InlineData("park on Friday", "on Friday", "2026-12-11T00:00:00+01:00", "day", null)]
    [InlineData("this Saturday", "this Saturday", "2026-12-05T00:00:00+01:00", "day", null)]
    [InlineData("next Saturday", "next Saturday", "2026-12-12T00:00:00+01:00", "day", null)]
    [InlineData("Saturday at 9", "Saturday at 9", "2026-12-05T21:00:00+01:00", "hour", null)]
    [InlineData("Saturday at 8", "Saturday at 8", "2026-12-12T08:00:00+01:00", "hour", null)]
    [InlineData("5 December", "5 December", "2026-12-05T00:00:00+01:00", "day", null)]
    [InlineData("December 5th", "December 5th", "2026-12-05T00:00:00+01:00", "day", null)]
    [InlineData("4 December", "4 December", "2027-12-04T00:00:00+01:00", "day", null)]
    [InlineData("the 5th of December 2027", "the 5th of December 2027", "2027-12-05T00:00:00+01:00", "day", null)]
    [InlineData("5/12", "5/12", "2026-12-05T00:00:00+01:00", "day", null)]
    [InlineData("2026-12-24", "2026-12-24", "2026-12-24T00:00:00+01:00", "day", null)]
    [InlineData("on the 24th", "on the 24th", "2026-12-24T00:00:00+01:00", "day", null)]
    [InlineData("the 3rd", "the 3rd", "2027-01-03T00:00:00+01:00", "day", null)]
    [InlineData("at 9", "at 9", "2026-12-05T21:00:00+01:00", "hour", null)]
    [InlineData("at 8", "at 8", "2026-12-06T08:00:00+01:00", "hour", null)]
    [InlineData("at 2", "at 2", "2026-12-06T14:00:00+01:00", "hour", null)]
    [InlineData("at 12", "at 12", "2026-12-06T00:00:00+01:00", "hour", null)]
    [InlineData("9am", "9am", "2026-12-06T09:00:00+01:00", "hour", null)]
    [InlineData("9 am", "9 am", "2026-12-06T09:00:00+01:00", "hour", null)]
    [InlineData("9 a.m.", "9 a.m.", "2026-12-06T09:00:00+01:00", "hour", null)]
    [InlineData("9pm", "9pm", "2026-12-05T21:00:00+01:00", "hour", null)]
    [InlineData("at 9:30", "at 9:30", "2026-12-06T09:30:00+01:00", "minute", null)]
    [InlineData("09.30", "09.30", "2026-12-06T09:30:00+01:00", "minute", null)]
    [InlineData("21:15", "21:15", "2026-12-05T21:15:00+01:00", "minute", null)]
    [InlineData("9:30pm", "9:30pm", "2026-12-05T21:30:00+01:00", "minute", null)]
    [InlineData("noon", "noon", "2026-12-06T12:00:00+01:00", "hour", null)]
    [InlineData("at midday", "at midday", "2026-12-06T12:00:00+01:00", "hour", null)]
    [InlineData("midnight", "midnight", "2026-12-06T00:00:00+01:00", "hour", null)]
    [InlineData("at half past 8", "at half past 8", "2026-12-06T08:30:00+01:00", "minute", null)]
    [InlineData("half past ten", "half past ten", "2026-12-05T22:30:00+01:00", "minute", null)]
    [InlineData("quarter past 9", "quarter past 9", "2026-12-05T21:15:00+01:00", "minute", null)]
    [InlineData("a quarter to 9", "a quarter to 9", "2026-12-05T20:45:00+01:00", "minute", null)]
    [InlineData("9 o'clock", "9 o'clock", "2026-12-05T21:00:00+01:00", "hour", null)]
    [InlineData("nine o’clock", "nine o’clock", "2026-12-05T21:00:00+01:00", "hour", null)]
    [InlineData("by 5pm", "by 5pm", "2026-12-06T17:00:00+01:00", "hour", null)]
    [InlineData("at 12 noon", "at 12 noon", "2026-12-06T12:00:00+01:00", "hour", null)]
    [InlineData("Friday the 11th", "Friday the 11th", "2026-12-11T00:00:00+01:00", "day", null)]
    [InlineData("at 9 on Friday", "at 9 on Friday", "2026-12-11T09:00:00+01:00", "hour", null)]
    [InlineData("at 8 pm tomorrow", "at 8 pm tomorrow", "2026-12-06T20:00:00+01:00", "hour", null)]
    [InlineData("next friday at 14.30", "next friday at 14.30", "2026-12-11T14:30:00+01:00", "minute", null)]
    [InlineData("9:00-11:00", "9:00-11:00", "2026-12-06T09:00:00+01:00", "minute", "2026-12-06T11:00:00+01:00")]
    [InlineData("25/12/2026", "25/12/2026", "2026-12-25T00:00:00+01:00", "day", null)]
    [InlineData("tomorrow at 9", "tomorrow at 9", "2026-12-06T09:00:00+01:00", "hour", null)]
    [InlineData("at 9 tomorrow", "at 9 tomorrow", "2026-12-06T09:00:00+01:00", "hour", null)]
    [InlineData("tomorrow at 3", "tomorrow at 3", "2026-12-06T15:00:00+01:00", "hour", null)]
    [InlineData("tomorrow at 9am", "tomorrow at 9am", "2026-12-06T09:00:00+01:00", "hour", null)]
    [InlineData("tomorrow morning at 10", "tomorrow morning at 10", "2026-12-06T10:00:00+01:00", "hour", null)]
    [InlineData("Friday 14:00", "Friday 14:00", "2026-12-11T14:00:00+01:00", "minute", null)]
    [InlineData("next Monday morning", "next Monday morning", "2026-12-07T08:00:00+01:00", "hour", "2026-12-07T12:00:00+01:00")]
    [InlineData("at 9 in the morning", "at 9 in the morning", "2026-12-06T09:00:00+01:00", "hour", null)]
    [InlineData("at 10 tonight", "at 10 tonight", "2026-12-05T22:00:00+01:00", "hour", null)]
    [InlineData("on 24 December at 14:30", "on 24 December at 14:30", "2026-12-24T14:30:00+01:00", "minute", null)]
    [InlineData("in 20 minutes", "in 20 minutes", "2026-12-05T21:02:00+01:00", "minute", null)]
    [InlineData("in an hour", "in an hour", "2026-12-05T21:42:00+01:00", "minute", null)]
    [InlineData("in half an hour", "in half an hour", "2026-12-05T21:12:00+01:00", "minute", null)]
    [InlineData("in 2 hours", "in 2 hours", "2026-12-05T22:42:00+01:00", "minute", null)]
    [InlineData("in 2 days", "in 2 days", "2026-12-07T00:00:00+01:00", "day", null)]
    [InlineData("from 9 to 11", "from 9 to 11", "2026-12-05T21:00:00+01:00", "hour", "2026-12-05T23:00:00+01:00")]
    [InlineData("9-11", "9-11", "2026-12-05T21:00:00+01:00", "hour", "2026-12-05T23:00:00+01:00")]
    [InlineData("from 9am to 5pm", "from 9am to 5pm", "2026-12-06T09:00:00+01:00", "hour", "2026-12-06T17:00:00+01:00")]
    [InlineData("between 2 and 4pm", "between 2 and 4pm", "2026-12-06T14:00:00+01:00", "hour", "2026-12-06T16:00:00+01:00")]
    [InlineData("tomorrow from 9 to 11", "tomorrow from 9 to 11", "2026-12-06T09:00:00+01:00", "hour", "2026-12-06T11:00:00+01:00")]
    [InlineData("until 6pm", "until 6pm", "2026-12-05T20:42:00+01:00", "minute", "2026-12-06T18:00:00+01:00")]
    [InlineData("until midnight", "until midnight", "2026-12-05T20:42:00+01:00", "minute", "2026-12-06T00:00:00+01:00")]
    [InlineData("overnight", "overnight", "2026-12-05T20:45:00+01:00", "hour", "2026-12-06T08:00:00+01:00")]
    [InlineData("next week", "next week", "2026-12-07T00:00:00+01:00", "week", null)]
    [InlineData("this week", "this week", "2026-11-30T00:00:00+01:00", "week", null)]
    public void English_TimeOnSaturdayEvening(string text, string span, string value, string grain, string? to) =>
        ShouldFindTime(text, SaturdayEvening, span, value, grain, to);

    [Theory]
    [InlineData("nu", "nu", "2026-12-05T20:42:00+01:00", "minute", null)]
    [InlineData("lige nu", "lige nu", "2026-12-05T20:42:00+01:00", "minute", null)]
    [InlineData("i dag", "i dag", "2026-12-05T00:00:00+01:00", "day", null)]
    [InlineData("i aften", "i aften", "2026-12-05T20:45:00+01:00", "hour", "2026-12-06T00:00:00+01:00")]
    [InlineData("i nat", "i nat", "2026-12-05T22:00:00+01:00", "hour", "2026-12-06T06:00:00+01:00")]
    [InlineData("i morgen", "i morgen", "2026-12-06T00:00:00+01:00", "day", null)]
    [InlineData("i morgen tidlig", "i morgen tidlig", "2026-12-06T08:00:00+01:00", "hour", "2026-12-06T12:00:00+01:00")]
    [InlineData("i morgen formiddag", "i morgen formiddag", "2026-12-06T08:00:00+01:00", "hour", "2026-12-06T12:00:00+01:00")]
    [InlineData("i morgen eftermiddag", "i morgen eftermiddag", "2026-12-06T12:00:00+01:00", "hour", "2026-12-06T17:00:00+01:00")]
    [InlineData("i morgen aften", "i morgen aften", "2026-12-06T18:00:00+01:00", "hour", "2026-12-07T00:00:00+01:00")]
    [InlineData("i overmorgen", "i overmorgen", "2026-12-07T00:00:00+01:00", "day", null)]
    [InlineData("på fredag", "på fredag", "2026-12-11T00:00:00+01:00", "day", null)]
    [InlineData("paa fredag", "paa fredag", "2026-12-11T00:00:00+01:00", "day", null)]
    [InlineData("næste mandag", "næste mandag", "2026-12-07T00:00:00+01:00", "day", null)]
    [InlineData("naeste mandag", "naeste mandag", "2026-12-07T00:00:00+01:00", "day", null)]
    [InlineData("mandag morgen", "mandag morgen", "2026-12-07T08:00:00+01:00", "hour", "2026-12-07T12:00:00+01:00")]
    [InlineData("tirsdag", "tirsdag", "2026-12-08T00:00:00+01:00", "day", null)]
    [InlineData("onsdag", "onsdag", "2026-12-09T00:00:00+01:00", "day", null)]
    [InlineData("torsdag", "torsdag", "2026-12-10T00:00:00+01:00", "day", null)]
    [InlineData("lørdag", "lørdag", "2026-12-05T00:00:00+01:00", "day", null)]
    [InlineData("lordag", "lordag", "2026-12-05T00:00:00+01:00", "day", null)]
    [InlineData("søndag", "søndag", "2026-12-06T00:00:00+01:00", "day", null)]
    [InlineData("5. december", "5. december", "2026-12-05T00:00:00+01:00", "day", null)]
    [InlineData("d. 5/12", "d. 5/12", "2026-12-05T00:00:00+01:00", "day", null)]
    [InlineData("den 24.", "den 24.", "2026-12-24T00:00:00+01:00", "day", null)]
    [InlineData("den 6. januar", "den 6. januar", "2027-01-06T00:00:00+01:00", "day", null)]
    [InlineData("kl. 9", "kl. 9", "2026-12-05T21:00:00+01:00", "hour", null)]
    [InlineData("kl 9", "kl 9", "2026-12-05T21:00:00+01:00", "hour", null)]
    [InlineData("klokken 14", "klokken 14", "2026-12-06T14:00:00+01:00", "hour", null)]
    [InlineData("kl 9.30", "kl 9.30", "2026-12-06T09:30:00+01:00", "minute", null)]
    [InlineData("14:00", "14:00", "2026-12-06T14:00:00+01:00", "minute", null)]
    [InlineData("halv ni", "halv ni", "2026-12-06T08:30:00+01:00", "minute", null)]
    [InlineData("kl. halv 10", "kl. halv 10", "2026-12-05T21:30:00+01:00", "minute", null)]
    [InlineData("kvart over 9", "kvart over 9", "2026-12-05T21:15:00+01:00", "minute", null)]
    [InlineData("kvart i 9", "kvart i 9", "2026-12-05T20:45:00+01:00", "minute", null)]
    [InlineData("middag", "middag", "2026-12-06T12:00:00+01:00", "hour", null)]
    [InlineData("midnat", "midnat", "2026-12-06T00:00:00+01:00", "hour", null)]
    [InlineData("i morgen kl 9", "i morgen kl 9", "2026-12-06T09:00:00+01:00", "hour", null)]
    [InlineData("kl 9 i morgen", "kl 9 i morgen", "2026-12-06T09:00:00+01:00", "hour", null)]
    [InlineData("på fredag kl. 14", "på fredag kl. 14", "2026-12-11T14:00:00+01:00", "hour", null)]
    [InlineData("kl 10 i aften", "kl 10 i aften", "2026-12-05T22:00:00+01:00", "hour", null)]
    [InlineData("om 20 minutter", "om 20 minutter", "2026-12-05T21:02:00+01:00", "minute", null)]
    [InlineData("om en time", "om en time", "2026-12-05T21:42:00+01:00", "minute", null)]
    [InlineData("om en halv time", "om en halv time", "2026-12-05T21:12:00+01:00", "minute", null)]
    [InlineData("om 2 timer", "om 2 timer", "2026-12-05T22:42:00+01:00", "minute", null)]
    [InlineData("fra 9 til 11", "fra 9 til 11", "2026-12-05T21:00:00+01:00", "hour", "2026-12-05T23:00:00+01:00")]
    [InlineData("fra kl. 8 til kl. 16", "fra kl. 8 til kl. 16", "2026-12-06T08:00:00+01:00", "hour", "2026-12-06T16:00:00+01:00")]
    [InlineData("mellem 2 og 4", "mellem 2 og 4", "2026-12-06T14:00:00+01:00", "hour", "2026-12-06T16:00:00+01:00")]
    [InlineData("indtil kl. 18", "indtil kl. 18", "2026-12-05T20:42:00+01:00", "minute", "2026-12-06T18:00:00+01:00")]
    [InlineData("til kl 18", "til kl 18", "2026-12-05T20:42:00+01:00", "minute", "2026-12-06T18:00:00+01:00")]
    [InlineData("natten over", "natten over", "2026-12-05T20:45:00+01:00", "hour", "2026-12-06T08:00:00+01:00")]
    [InlineData("i næste uge", "i næste uge", "2026-12-07T00:00:00+01:00", "week", null)]
    [InlineData("fredag d. 11/12 kl 8", "fredag d. 11/12 kl 8", "2026-12-11T08:00:00+01:00", "hour", null)]
    [InlineData("i morgen kl. 9-11", "i morgen kl. 9-11", "2026-12-06T09:00:00+01:00", "hour", "2026-12-06T11:00:00+01:00")]
    [InlineData("om 5 min", "om 5 min", "2026-12-05T20:47:00+01:00", "minute", null)]
    public void Danish_TimeOnSaturdayEvening(string text, string span, string value, string grain, string? to) =>
        ShouldFindTime(text, SaturdayEvening, span, value, grain, to);

    [Theory]
    [InlineData("now", "now", "2026-12-07T07:31:00+01:00", "minute", null)]
    [InlineData("at 9", "at 9", "2026-12-07T09:00:00+01:00", "hour", null)]
    [InlineData("at 7", "at 7", "2026-12-07T19:00:00+01:00", "hour", null)]
    [InlineData("at 2", "at 2", "2026-12-07T14:00:00+01:00", "hour", null)]
    [InlineData("at 2 in the morning", "at 2 in the morning", "2026-12-08T02:00:00+01:00", "hour", null)]
    [InlineData("at 5am", "at 5am", "2026-12-08T05:00:00+01:00", "hour", null)]
    [InlineData("halv ni", "halv ni", "2026-12-07T08:30:00+01:00", "minute", null)]
    [InlineData("kvart i 9", "kvart i 9", "2026-12-07T08:45:00+01:00", "minute", null)]
    [InlineData("kl 9 i formiddag", "kl 9 i formiddag", "2026-12-07T09:00:00+01:00", "hour", null)]
    [InlineData("this morning", "this morning", "2026-12-07T08:00:00+01:00", "hour", "2026-12-07T12:00:00+01:00")]
    [InlineData("tonight", "tonight", "2026-12-07T18:00:00+01:00", "hour", "2026-12-08T00:00:00+01:00")]
    [InlineData("i nat", "i nat", "2026-12-07T22:00:00+01:00", "hour", "2026-12-08T06:00:00+01:00")]
    [InlineData("on Monday", "on Monday", "2026-12-07T00:00:00+01:00", "day", null)]
    [InlineData("Monday at 7", "Monday at 7", "2026-12-07T19:00:00+01:00", "hour", null)]
    [InlineData("next Monday", "next Monday", "2026-12-14T00:00:00+01:00", "day", null)]
    [InlineData("tomorrow at 9", "tomorrow at 9", "2026-12-08T09:00:00+01:00", "hour", null)]
    [InlineData("in 20 minutes", "in 20 minutes", "2026-12-07T07:50:00+01:00", "minute", null)]
    [InlineData("until 6pm", "until 6pm", "2026-12-07T07:31:00+01:00", "minute", "2026-12-07T18:00:00+01:00")]
    [InlineData("until 6", "until 6", "2026-12-07T07:31:00+01:00", "minute", "2026-12-07T18:00:00+01:00")]
    [InlineData("overnight", "overnight", "2026-12-07T18:00:00+01:00", "hour", "2026-12-08T08:00:00+01:00")]
    public void MorningClock_ResolvesForward(string text, string span, string value, string grain, string? to) =>
        ShouldFindTime(text, MondayMorning, span, value, grain, to);

    [Fact]
    public void Tonight_InItsLastQuarterHour_StartsThisMinuteNotAtItsEnd() =>
        ShouldFindTime("tonight", new DateTimeOffset(2026, 12, 5, 23, 53, 46, TimeSpan.FromHours(1)), "tonight",
            "2026-12-05T23:53:00+01:00", "hour", "2026-12-06T00:00:00+01:00");

    [Theory]
    [InlineData("2 hours", "2 hours", "PT2H", 7200)]
    [InlineData("2h", "2h", "PT2H", 7200)]
    [InlineData("90 minutes", "90 minutes", "PT1H30M", 5400)]
    [InlineData("90 min", "90 min", "PT1H30M", 5400)]
    [InlineData("for an hour", "an hour", "PT1H", 3600)]
    [InlineData("can I get 30 more minutes", "30 more minutes", "PT30M", 1800)]
    [InlineData("give me another hour", "another hour", "PT1H", 3600)]
    [InlineData("2 extra hours please", "2 extra hours", "PT2H", 7200)]
    [InlineData("for half an hour", "half an hour", "PT30M", 1800)]
    [InlineData("1.5 hours", "1.5 hours", "PT1H30M", 5400)]
    [InlineData("1,5 hours", "1,5 hours", "PT1H30M", 5400)]
    [InlineData("one and a half hours", "one and a half hours", "PT1H30M", 5400)]
    [InlineData("an hour and a half", "an hour and a half", "PT1H30M", 5400)]
    [InlineData("a couple of hours", "a couple of hours", "PT2H", 7200)]
    [InlineData("all day", "all day", "P1D", 86400)]
    [InlineData("for 2 days", "2 days", "P2D", 172800)]
    [InlineData("one day", "one day", "P1D", 86400)]
    [InlineData("three hours", "three hours", "PT3H", 10800)]
    [InlineData("twelve hours", "twelve hours", "PT12H", 43200)]
    [InlineData("twenty minutes", "twenty minutes", "PT20M", 1200)]
    [InlineData("thirty minutes", "thirty minutes", "PT30M", 1800)]
    [InlineData("forty-five minutes", "forty-five minutes", "PT45M", 2700)]
    [InlineData("1 hour 30 minutes", "1 hour 30 minutes", "PT1H30M", 5400)]
    [InlineData("for 20 minutes", "20 minutes", "PT20M", 1200)]
    [InlineData("2 timer", "2 timer", "PT2H", 7200)]
    [InlineData("i 2 timer", "2 timer", "PT2H", 7200)]
    [InlineData("i 20 minutter", "20 minutter", "PT20M", 1200)]
    [InlineData("en time", "en time", "PT1H", 3600)]
    [InlineData("en halv time", "en halv time", "PT30M", 1800)]
    [InlineData("halvanden time", "halvanden time", "PT1H30M", 5400)]
    [InlineData("90 minutter", "90 minutter", "PT1H30M", 5400)]
    [InlineData("90 min.", "90 min", "PT1H30M", 5400)]
    [InlineData("2 t", "2 t", "PT2H", 7200)]
    [InlineData("et par timer", "et par timer", "PT2H", 7200)]
    [InlineData("hele dagen", "hele dagen", "P1D", 86400)]
    [InlineData("2 dage", "2 dage", "P2D", 172800)]
    [InlineData("et døgn", "et døgn", "P1D", 86400)]
    [InlineData("tre timer", "tre timer", "PT3H", 10800)]
    [InlineData("elleve minutter", "elleve minutter", "PT11M", 660)]
    [InlineData("to og en halv time", "to og en halv time", "PT2H30M", 9000)]
    [InlineData("1 time og 30 minutter", "1 time og 30 minutter", "PT1H30M", 5400)]
    public void Durations_InBothLanguages(string text, string span, string value, long seconds)
    {
        var found = Single(text, SaturdayEvening);
        found.Entity.ShouldBe("duration");
        text[found.Start..found.End].ShouldBe(span);
        found.Value.ShouldBe(value);
        found.Extra.ShouldNotBeNull();
        found.Extra["seconds"].ShouldBe(seconds.ToString(CultureInfo.InvariantCulture));
    }

    [Theory]
    // Copenhagen springs forward at 02:00 on 28 March 2027 and falls back at 03:00 on 31 October 2027.
    [InlineData("28 March at 2:30", "2026-12-05T20:42:00+01:00", "2027-03-28T03:30:00+02:00")]
    [InlineData("31 October at 2:30", "2026-12-05T20:42:00+01:00", "2027-10-31T02:30:00+02:00")]
    [InlineData("28 March at 9", "2026-12-05T20:42:00+01:00", "2027-03-28T09:00:00+02:00")]
    [InlineData("tomorrow at 9", "2027-03-27T12:00:00+01:00", "2027-03-28T09:00:00+02:00")]
    [InlineData("in 2 hours", "2027-03-28T01:30:00+01:00", "2027-03-28T04:30:00+02:00")]
    [InlineData("in 2 hours", "2027-10-31T01:30:00+02:00", "2027-10-31T02:30:00+01:00")]
    [InlineData("tomorrow at 9", "2027-10-30T12:00:00+02:00", "2027-10-31T09:00:00+01:00")]
    public void DaylightSavingTransitions_UseTheZonesValidOffsets(string text, string now, string value) =>
        Single(text, DateTimeOffset.Parse(now, CultureInfo.InvariantCulture)).Value.ShouldBe(value);

    [Fact]
    public void Spans_PointIntoTheOriginalText_WithCaseAccentsAndPunctuation()
    {
        const string english = "Hi!! Can I park TOMORROW at 9am, for 2 hours? 🚗";
        var found = TimeExpressions.Find(english, SaturdayEvening, Copenhagen);
        found.Select(e => (e.Entity, english[e.Start..e.End], e.Value))
            .ShouldBe([("time", "TOMORROW at 9am", "2026-12-06T09:00:00+01:00"), ("duration", "2 hours", "PT2H")]);

        const string danish = "Hej 👋 kan jeg parkere PÅ FREDAG kl. 14 i halvanden time?";
        found = TimeExpressions.Find(danish, SaturdayEvening, Copenhagen);
        found.Select(e => (e.Entity, danish[e.Start..e.End], e.Value))
            .ShouldBe([("time", "PÅ FREDAG kl. 14", "2026-12-11T14:00:00+01:00"), ("duration", "halvanden time", "PT1H30M")]);

        const string decomposed = "pa\u030A fredag";
        Single(decomposed, SaturdayEvening).Value.ShouldBe("2026-12-11T00:00:00+01:00");
    }

    [Fact]
    public void SeveralMentions_ComeLeftToRight_WithoutOverlap()
    {
        const string text = "book from 9 to 11 tomorrow, or else in 20 minutes for 90 min";
        var found = TimeExpressions.Find(text, SaturdayEvening, Copenhagen);
        found.Select(e => text[e.Start..e.End]).ShouldBe(["from 9 to 11 tomorrow", "in 20 minutes", "90 min"]);
        found[0].Value.ShouldBe("2026-12-06T09:00:00+01:00");
        found[0].Extra!["to"].ShouldBe("2026-12-06T11:00:00+01:00");
    }

    /// <summary>Feasts named instead of a date: their next date from Saturday 5 December 2026, with a clock on that day.</summary>
    [Theory]
    [InlineData("parking on Christmas Eve at 14", "on Christmas Eve at 14", "2026-12-24T14:00:00+01:00", "hour")]
    [InlineData("christmas day", "christmas day", "2026-12-25T00:00:00+01:00", "day")]
    [InlineData("over Christmas", "Christmas", "2026-12-25T00:00:00+01:00", "day")]
    [InlineData("on Boxing Day at 10", "on Boxing Day at 10", "2026-12-26T10:00:00+01:00", "hour")]
    [InlineData("New Year's Eve at 22", "New Year's Eve at 22", "2026-12-31T22:00:00+01:00", "hour")]
    [InlineData("new years day", "new years day", "2027-01-01T00:00:00+01:00", "day")]
    [InlineData("on Easter Monday", "on Easter Monday", "2027-03-29T00:00:00+02:00", "day")]
    [InlineData("good friday at 9", "good friday at 9", "2027-03-26T09:00:00+01:00", "hour")]
    [InlineData("Whit Monday", "Whit Monday", "2027-05-17T00:00:00+02:00", "day")]
    [InlineData("juleaften kl. 14", "juleaften kl. 14", "2026-12-24T14:00:00+01:00", "hour")]
    [InlineData("2. juledag kl 10", "2. juledag kl 10", "2026-12-26T10:00:00+01:00", "hour")]
    [InlineData("på nytårsaften", "på nytårsaften", "2026-12-31T00:00:00+01:00", "day")]
    [InlineData("NYTÅRSDAG", "NYTÅRSDAG", "2027-01-01T00:00:00+01:00", "day")]
    [InlineData("2. påskedag", "2. påskedag", "2027-03-29T00:00:00+02:00", "day")]
    [InlineData("Kristi himmelfartsdag", "Kristi himmelfartsdag", "2027-05-06T00:00:00+02:00", "day")]
    [InlineData("grundlovsdag kl 12", "grundlovsdag kl 12", "2027-06-05T12:00:00+02:00", "hour")]
    public void NamedDays_AreTheirNextDate(string text, string span, string value, string grain) =>
        ShouldFindTime(text, SaturdayEvening, span, value, grain, null);

    [Fact]
    public void ADateInsideACode_IsNotADate_TheTimeAfterItIs() =>
        ShouldFindTime("can I park near Chatgarage 68dec3 on Christmas Eve at 14?", SaturdayEvening, "on Christmas Eve at 14",
            "2026-12-24T14:00:00+01:00", "hour", null);

    [Theory]
    [InlineData("parking near the Christmas market")]
    [InlineData("Easter Road car park")]
    public void AFeastInAPlacesName_IsNotADate(string text) =>
        TimeExpressions.Find(text, SaturdayEvening, Copenhagen).ShouldBeEmpty();

    /// <summary>Easter Sunday by the Gregorian computus, against published dates (the movable feasts count from it).</summary>
    [Theory]
    [InlineData(2024, 3, 31)]
    [InlineData(2025, 4, 20)]
    [InlineData(2026, 4, 5)]
    [InlineData(2027, 3, 28)]
    [InlineData(2038, 4, 25)]
    [InlineData(2285, 3, 22)]
    public void Easter_MatchesThePublishedDate(int year, int month, int day) =>
        SmartParking.Server.Modules.Chat.Nlu.Time.TimeGrammar.Easter(year).ShouldBe(new DateOnly(year, month, day));

    /// <summary>A day gone is read as said (the dialogue says it has passed), not as the next 09:00.</summary>
    [Theory]
    [InlineData("yesterday at 9", "yesterday at 9", "2026-12-04T09:00:00+01:00", "hour")]
    [InlineData("i går kl. 9", "i går kl. 9", "2026-12-04T09:00:00+01:00", "hour")]
    [InlineData("igår", "igår", "2026-12-04T00:00:00+01:00", "day")]
    public void Yesterday_IsTheDayBefore(string text, string span, string value, string grain) =>
        ShouldFindTime(text, SaturdayEvening, span, value, grain, null);

    [Theory]
    [InlineData("9")]
    [InlineData("space 12")]
    [InlineData("I want space 12 on level 2")]
    [InlineData("plate AB 12345")]
    [InlineData("plate AB12345")]
    [InlineData("it costs 20 kr")]
    [InlineData("is 2.50 kr ok")]
    [InlineData("10 spaces")]
    [InlineData("between 2 and 4 spaces")]
    [InlineData("10-20 kr")]
    [InlineData("look at 2 people")]
    [InlineData("EV")]
    [InlineData("2 people")]
    [InlineData("plads til 2 biler")]
    [InlineData("what time is it")]
    [InlineData("call 22 33 44 55")]
    [InlineData("🚗🅿️⚡ 👍🏽")]
    [InlineData("I may come")]
    [InlineData("price 12.50 per hour")]
    [InlineData("level -1")]
    [InlineData("30/2")]
    [InlineData("fra 9")]
    // Letters and digits run together are a name or a code, not a date ("dec3" in a garage's name).
    [InlineData("Chatgarage 68dec3")]
    [InlineData("gate jan1b")]
    [InlineData("code mon2")]
    [InlineData("")]
    public void NoFalsePositives(string text) =>
        TimeExpressions.Find(text, SaturdayEvening, Copenhagen).ShouldBeEmpty();

    [Fact]
    public void FourKilobytesOfGarbage_FindsNothing()
    {
        var random = new Random(7);
        const string alphabet = "bcfgjkqvwxzBCFGJKQVWXZ0123456789 #%&*[]{}!?=+_~^|<>\\\"";
        var garbage = new StringBuilder();
        while (garbage.Length < 4096) garbage.Append(alphabet[random.Next(alphabet.Length)]);
        TimeExpressions.Find(garbage.ToString(), SaturdayEvening, Copenhagen).ShouldBeEmpty();
    }

    private static readonly string[] Vocabulary =
    [
        "at", "9", "9am", "kl.", "kl", "14:00", "09.30", "tomorrow", "i", "morgen", "aften", "from", "to", "til", "fra", "-", "–",
        "between", "and", "og", "mellem", "until", "indtil", "in", "om", "for", "2", "1,5", "1.5", "hours", "timer", "t", "h",
        "min", "half", "an", "halv", "ni", "kvart", "over", "past", "quarter", "o'clock", "Friday", "på", "fredag", "næste",
        "next", "the", "24th", "den", "24.", "5/12", "2026-12-05", "December", "5.", "noon", "midnat", "tonight", "now", "nu",
        "all", "day", "hele", "dagen", "overnight", "week", "uge", "a", "couple", "of", "et", "par", "12", "31", "99", "/", ":",
        ".", ",", "🚗", "\u0301", "\ud800", "space", "kr",
    ];

    [Fact]
    public void RandomText_NeverThrows_AndSpansAreOrderedDisjointAndValuesParse()
    {
        var words = Gen.OneOf(Gen.OneOf(Vocabulary), Gen.String[0, 6]);
        var texts = Gen.Frequency(
            (3, words.Array[0, 12].Select(parts => string.Join(" ", parts))),
            (1, words.Array[0, 12].Select(parts => string.Concat(parts))),
            (1, Gen.String[0, 80]));
        var now = Gen.Long[new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).Ticks, new DateTimeOffset(2035, 1, 1, 0, 0, 0, TimeSpan.Zero).Ticks]
            .Select(ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
        Gen.Select(texts, now).Sample((text, at) =>
        {
            var found = TimeExpressions.Find(text, at, Copenhagen);
            var previousEnd = 0;
            foreach (var e in found)
            {
                e.Start.ShouldBeGreaterThanOrEqualTo(previousEnd);
                e.End.ShouldBeGreaterThan(e.Start);
                e.End.ShouldBeLessThanOrEqualTo(text.Length);
                previousEnd = e.End;
                if (e.Entity == "time")
                {
                    ParseTime(e.Value);
                    if (e.Extra!.TryGetValue("to", out var to)) ParseTime(to).ShouldBeGreaterThan(ParseTime(e.Value));
                }
                else
                {
                    e.Entity.ShouldBe("duration");
                    ((long)XmlConvert.ToTimeSpan(e.Value).TotalSeconds).ShouldBe(long.Parse(e.Extra!["seconds"], CultureInfo.InvariantCulture));
                }
            }
        }, iter: JsonFuzz.Iterations(3_000));
    }

    private static DateTimeOffset ParseTime(string value) =>
        DateTimeOffset.ParseExact(value, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>The answer to "what time on Thursday?": a clock or part of the day alone is on Thursday; a date said still counts from now.</summary>
    [Theory]
    [InlineData("at 9", "2026-12-10T09:00:00+01:00", null)]
    [InlineData("9:30", "2026-12-10T09:30:00+01:00", null)]
    [InlineData("kl. 14", "2026-12-10T14:00:00+01:00", null)]
    [InlineData("in the morning", "2026-12-10T08:00:00+01:00", "2026-12-10T12:00:00+01:00")]
    [InlineData("from 9 to 11", "2026-12-10T09:00:00+01:00", "2026-12-10T11:00:00+01:00")]
    [InlineData("tomorrow at 9", "2026-12-06T09:00:00+01:00", null)]
    [InlineData("on Friday at 10", "2026-12-11T10:00:00+01:00", null)]
    public void OnADay_AClockWithoutADateIsOnThatDay_ADateSaidCountsFromNow(string text, string value, string? to)
    {
        var found = TimeExpressions.Find(text, SaturdayEvening, Copenhagen, onDay: new DateOnly(2026, 12, 10));

        found.Count.ShouldBe(1, string.Join("; ", found.Select(Describe)));
        found[0].Value.ShouldBe(value);
        found[0].Extra!.GetValueOrDefault("to").ShouldBe(to);
    }
}
