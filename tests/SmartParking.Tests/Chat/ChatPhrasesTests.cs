using SmartParking.Server.Modules.Chat.Dialogue;
using SmartParking.Server.Modules.Chat.Nlu;

namespace SmartParking.Tests.Chat;

/// <summary>Picking from a list of three just shown, in the words drivers use, and the words that only look like a pick.</summary>
public sealed class ChatPhrasesTests
{
    private static NluParse Parse(string text, params ExtractedEntity[] entities) =>
        new(text, new IntentScore("affirm", 0.9), [], entities);

    [Theory]
    [InlineData("the second one", 1)]
    [InlineData("I'll take the third", 2)]
    [InlineData("ok book the first one", 0)]
    [InlineData("Second one please", 1)]
    [InlineData("2nd", 1)]
    [InlineData("number 2", 1)]
    [InlineData("no. 3", 2)]
    [InlineData("option 1", 0)]
    [InlineData("#3", 2)]
    [InlineData("2", 1)]
    [InlineData(" 3. ", 2)]
    [InlineData("the last one", 2)]
    [InlineData("den anden", 1)]
    [InlineData("jeg tager den første", 0)]
    [InlineData("Tredje", 2)]
    [InlineData("nummer 1", 0)]
    [InlineData("nr. 3 tak", 2)]
    [InlineData("reserver den sidste", 2)]
    public void Pick_WordsForAPlaceInTheList_ThatPlace(string text, int index) =>
        ChatPhrases.Pick(Parse(text), 3).ShouldBe(index);

    [Theory]
    [InlineData("wait a second")]
    [InlineData("book one")]
    [InlineData("en anden plads")]
    [InlineData("number 7")]
    [InlineData("4")]
    [InlineData("0")]
    [InlineData("first come first served?")]
    [InlineData("I need 2 spaces")]
    public void Pick_NoPlaceInTheListNamed_Null(string text) =>
        ChatPhrases.Pick(Parse(text), 3).ShouldBeNull();

    [Fact]
    public void Pick_AnOrdinalInsideATime_NotAPick()
    {
        var text = "book it for the first of March";
        var time = new ExtractedEntity("time", "2027-03-01T00:00:00+01:00", text.IndexOf("the first", StringComparison.Ordinal), text.Length, TimeExpressions.ExtractorName);

        ChatPhrases.Pick(Parse(text, time), 3).ShouldBeNull();
    }
}
