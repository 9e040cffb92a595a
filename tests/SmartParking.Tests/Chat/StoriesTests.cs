using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Chat;

/// <summary>
/// Every test story of data/chat/tests played end to end against one shared server (issue 15's test conversations),
/// one test case per story; and a check that every flow has stories in both languages.
/// </summary>
public sealed class StoriesTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    /// <summary>Flows being added now (human handoff, billing); their stories come with them, and then they leave this list.</summary>
    public static TheoryData<string> Stories() => new(StoryFiles.All.Select(s => s.Id));

    [Theory]
    [MemberData(nameof(Stories))]
    public async Task Story_PlaysAsWritten(string story) =>
        await new StoryRunner(factory).PlayAsync(StoryFiles.All.Single(s => s.Id == story));

    [Fact]
    public async Task EveryIntent_HasAStoryInEnglishAndInDanish()
    {
        var intents = (await factory.Services.GetRequiredService<NluEngine>().ModelAsync()).Intents.Append(NluModel.FallbackIntent).ToList();
        var told = StoryFiles.All.SelectMany(s => s.Steps.OfType<UserStep>().Where(u => u.Intent is not null).Select(u => (s.Fixtures.Language, u.Intent))).ToHashSet();
        bool Covered(string intent) => StoryFiles.Languages.All(l => told.Contains((l, intent)));

        intents.Where(i => !Covered(i)).ShouldBeEmpty("intents without a story in both languages");
    }

    // The runner must fail loudly, or a green run means nothing.

    [Fact]
    public async Task Runner_ReplyNotAsWritten_FailsNamingStoryStepExpectedAndActual()
    {
        var story = Inline("""
            - story: greeted wrongly
              steps:
              - user: hello there
                intent: greet
              - bot: Goodbye
            """);

        var failure = await Should.ThrowAsync<StoryFailedException>(() => new StoryRunner(factory).PlayAsync(story));

        failure.Message.ShouldContain("test.yml line 6, story 'greeted wrongly', step 2");
        failure.Message.ShouldContain("expected: a reply containing Goodbye");
        failure.Message.ShouldContain("actual:   \"Hi! I can find parking");
    }

    [Theory]
    [InlineData("hello there", "goodbye", "intent greet")]
    [InlineData("where can I park near Odense Zoo", "find_parking", "Odense Zoo(location=Odense Zoo)")]
    [InlineData("/affirm", "deny", "the payload's intent affirm")]
    public async Task Runner_MessageReadOtherwise_FailsWithWhatTheNluRead(string message, string intent, string read)
    {
        var story = Inline($"""
            - story: misread
              steps:
              - user: {message}
                intent: {intent}
              - bot: x
            """);

        var failure = await Should.ThrowAsync<StoryFailedException>(() => new StoryRunner(factory).PlayAsync(story));

        failure.Message.ShouldContain("step 1");
        failure.Message.ShouldContain(read);
    }

    [Fact]
    public async Task Runner_ReplyNoBotStepExpects_Fails()
    {
        var story = Inline("""
            - story: unanswered
              steps:
              - user: hello there
            """);

        (await Should.ThrowAsync<StoryFailedException>(() => new StoryRunner(factory).PlayAsync(story))).Message.ShouldContain("a reply no bot step expects");
    }

    [Theory]
    [InlineData("metadata: {driver: somebody}", "line 3: 'driver' is one of")]
    [InlineData("metadata: {parking: true}", "line 3: unknown metadata 'parking'")]
    [InlineData("metadata: {bookings: 1}", "add 'lot: true'")]
    public void Reader_BadMetadata_RefusedWithTheLine(string metadata, string error)
    {
        var yaml = $"""
            stories:
            - story: bad
              {metadata}
              steps:
              - user: hi
            """;

        Should.Throw<StoryFormatException>(() => StoryFiles.Read("test.yml", yaml)).Message.ShouldContain(error);
    }

    [Fact]
    public void Reader_UnknownCheck_Refused()
    {
        var yaml = """
            stories:
            - story: bad
              steps:
              - user: hi
              - check: everything_fine
            """;

        Should.Throw<StoryFormatException>(() => StoryFiles.Read("test.yml", yaml)).Message.ShouldContain("unknown check 'everything_fine'");
    }

    private static ChatStory Inline(string stories) => StoryFiles.Read("test.yml", "stories:\n" + stories).Single();
}
