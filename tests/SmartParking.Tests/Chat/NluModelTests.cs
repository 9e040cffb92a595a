using CsCheck;
using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>The NLU trained on the repository's data, without a server.</summary>
[LongRunFirst]
public sealed class NluModelTests
{
    private static readonly TimeZoneInfo Copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 20, 42, 0, TimeSpan.FromHours(1));

    private static NluParse Parse(string text) => BuiltInNlu.Model.Parse(text, Now, Copenhagen);

    /// <summary>Many threads at once score messages with one model (its buffers are per call or rented).</summary>
    [Fact]
    public async Task ParsedFromManyThreadsAtOnce_SameAsOneAtATime()
    {
        string[] messages = ["hi there", "how much is 2 hours near Dokk1?", "find me parking near the harbour", "cancel my booking",
            "hvad kan du hjælpe med?", "I want to talk to a person", "start parking for XY 12 345", "thanks, bye"];
        var alone = messages.ToDictionary(m => m, m => Parse(m).Ranking.Select(r => (r.Name, Math.Round(r.Confidence, 6))).ToList());

        var together = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(() => (Message: messages[i % messages.Length], Parse(messages[i % messages.Length])))));

        foreach (var (message, parse) in together)
            parse.Ranking.Select(r => (r.Name, Math.Round(r.Confidence, 6))).ToList().ShouldBe(alone[message], message);
    }

    [Fact]
    public void BuiltInData_EveryRequiredIntent()
    {
        BuiltInNlu.Model.Intents.ShouldBe(["affirm", "billing", "cancel_reservation", "check_price", "deny", "extend", "find_parking", "goodbye",
            "greet", "help", "human_handoff", "my_bookings", "out_of_scope", "report_issue", "reserve", "start_session", "stop_session", "thanks"], ignoreOrder: true);
    }

    [Theory]
    [InlineData("can you find me a spot near Odense Zoo", "Odense Zoo")]
    [InlineData("find parking ved Hotel Royal", "Hotel Royal")]
    [InlineData("er der ledige pladser tæt på Kongens Have", "Kongens Have")]
    // Capitalised words right after where the tagger stops are the rest of the name.
    [InlineData("Qzxville Nowhere", "Qzxville Nowhere")]
    [InlineData("parking near Wxqtorv Nordre Plads tomorrow at 9", "Wxqtorv Nordre Plads")]
    [InlineData("parkering ved Kbxwrt Station i morgen", "Kbxwrt Station")]
    public void Location_NeverSeenPlace_FoundWhole(string text, string place)
    {
        Parse(text).Entities.Where(e => e.Entity == "location").Select(e => e.Value).ShouldBe([place]);
    }

    [Theory]
    [InlineData("parking near Dokk1 please", "Dokk1")]
    [InlineData("parking near Dokk1, Aarhus", "Dokk1")]
    [InlineData("parking near Dokk1 Tomorrow at 9", "Dokk1")]
    public void Location_NameStopsAtALowerCaseWordPunctuationOrATime(string text, string place)
    {
        Parse(text).Entities.Where(e => e.Entity == "location").Select(e => e.Value).First().ShouldBe(place);
    }

    [Theory]
    [InlineData("start parking for XY 12 345", "XY 12 345")]
    [InlineData("my plate is AB12345", "AB12345")]
    public void Plate_FoundAsWritten(string text, string plate)
    {
        Parse(text).Entities.Where(e => e.Entity == "plate").Select(e => e.Value).ShouldBe([plate]);
    }

    [Theory]
    [InlineData("what's the weather in copenhagen")]
    [InlineData("who won the football match yesterday")]
    [InlineData("tell me a joke about cats")]
    [InlineData("hvordan er vejret i københavn")]
    [InlineData("hvem vandt fodboldkampen i går")]
    [InlineData("fortæl noget sjovt")]
    public void OffTopicQuestion_NotReadAsAParkingIntent(string text)
    {
        // None of these is a training example: the assistant should say it cannot help, not act on a guess.
        Parse(text).Intent.Name.ShouldBeOneOf("out_of_scope", NluModel.FallbackIntent);
    }

    [Fact]
    public void AnyText_NeverThrows_SpansInsideTheTextAndApart()
    {
        Gen.String[Gen.Char, 0, 300].Sample(text =>
        {
            var parse = Parse(text);
            parse.Ranking.ShouldNotBeEmpty();
            var ordered = parse.Entities.OrderBy(e => e.Start).ToList();
            foreach (var e in ordered) (e.Start >= 0 && e.Start < e.End && e.End <= text.Length).ShouldBeTrue();
            for (var i = 1; i < ordered.Count; i++) ordered[i].Start.ShouldBeGreaterThanOrEqualTo(ordered[i - 1].End);
        }, iter: 300);
    }

    /// <summary>
    /// The intents of any text, short or far longer than a message's stack buffer, are probabilities: each from 0 to 1,
    /// summing to 1, most likely first.
    /// </summary>
    [Fact]
    public void AnyText_IntentsAreProbabilitiesMostLikelyFirst()
    {
        Gen.OneOf(Gen.String[Gen.Char.AlphaNumeric, 0, 40], Gen.String[Gen.Char, 200, 4_000], Gen.Const("find parking near Dokk1 " + new string('ø', 3_000)))
            .Sample(text =>
            {
                // The fallback, when it leads the ranking, is a verdict on the others, not one of them.
                var ranking = Parse(text).Ranking.Where(r => r.Name != NluModel.FallbackIntent).ToList();
                ranking.Select(r => r.Name).ShouldBe(BuiltInNlu.Model.Intents, ignoreOrder: true);
                ranking.Sum(r => r.Confidence).ShouldBe(1, 1e-5);
                ranking.ShouldAllBe(r => r.Confidence >= 0 && r.Confidence <= 1);
                for (var i = 1; i < ranking.Count; i++) ranking[i].Confidence.ShouldBeLessThanOrEqualTo(ranking[i - 1].Confidence);
            }, iter: 100);
    }

    /// <summary>An apostrophe inside a word is not part of what the classifier reads: "I'm done" and "Im done" are one message to it.</summary>
    [Theory]
    [InlineData("I'm done, bye", "Im done, bye")]
    [InlineData("what's the price near Dokk1", "whats the price near Dokk1")]
    public void Intent_ApostropheInAWord_ReadAsTheWordWithout(string with, string without)
    {
        var a = Parse(with).Ranking.Select(r => (r.Name, Math.Round(r.Confidence, 5)));
        var b = Parse(without).Ranking.Select(r => (r.Name, Math.Round(r.Confidence, 5)));
        a.ShouldBe(b);
    }
}
