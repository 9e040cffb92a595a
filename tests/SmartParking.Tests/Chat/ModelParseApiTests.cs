using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary><c>POST /model/parse</c> as a Rasa client calls it: Rasa's field names, and bad input refused by field.</summary>
public sealed class ModelParseApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private async Task<JsonElement> ParseAsync(string text)
    {
        using var client = factory.CreateClient();
        return await (await client.PostAsJsonAsync("/model/parse", new { text, message_id = "m-1" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Parse_UnseenPlaceAndTime_RasaShapeWithIntentRankingAndEntities()
    {
        const string text = "is there free parking near Vesterport Station tomorrow at 9?";

        var parse = await ParseAsync(text);

        parse.Str("text").ShouldBe(text);
        parse.Str("message_id").ShouldBe("m-1");
        parse.GetProperty("intent").Str("name").ShouldBe("find_parking");
        var ranking = parse.GetProperty("intent_ranking").EnumerateArray().ToList();
        ranking.Count.ShouldBeInRange(2, 10);
        ranking[0].Str("name").ShouldBe("find_parking");
        ranking.Select(r => r.GetProperty("confidence").GetDouble()).ShouldBeInOrder(SortDirection.Descending);
        var location = parse.GetProperty("entities").EnumerateArray().Single(e => e.Str("entity") == "location");
        location.Str("value").ShouldBe("Vesterport Station");
        text[location.GetProperty("start").GetInt32()..location.GetProperty("end").GetInt32()].ShouldBe("Vesterport Station");
        location.Str("extractor").ShouldNotBeNullOrEmpty();
    }

    [Theory]
    [InlineData("jeg vil gerne reservere en plads ved Dokk1 i morgen", "reserve")]
    [InlineData("cancel my booking please", "cancel_reservation")]
    [InlineData("stop my parking, I'm leaving", "stop_session")]
    [InlineData("can I talk to a real person", "human_handoff")]
    public async Task Parse_EnglishAndDanish_TheIntentMeant(string text, string intent)
    {
        var parse = await ParseAsync(text);

        parse.GetProperty("intent").Str("name").ShouldBe(intent);
    }

    [Fact]
    public async Task Parse_SynonymOfASpaceType_ValueIsTheCanonicalType()
    {
        var parse = await ParseAsync("any free spot with a charger for my electric car near the harbour?");

        parse.GetProperty("entities").EnumerateArray().Where(e => e.Str("entity") == "space_type").Select(e => e.Str("value")).Distinct()
            .ShouldBe(["ev"]);
    }

    [Theory]
    [InlineData("\ufffd\ufffd\u202e\u200b 🚗🚗")]
    [InlineData("")]
    [InlineData("qwxz vbnm plokij")]
    public async Task Parse_Gibberish_FallbackIntentNotAGuess(string text)
    {
        var parse = await ParseAsync(text);

        parse.GetProperty("intent").Str("name").ShouldBe("nlu_fallback");
    }

    [Fact]
    public async Task Parse_OverFourKilobytes_ProblemNamingText()
    {
        using var client = factory.CreateClient();

        var problem = await (await client.PostAsJsonAsync("/model/parse", new { text = new string('a', 4_097) })).ShouldHaveStatusAsync(HttpStatusCode.BadRequest);

        problem.GetProperty("errors").TryGetProperty("text", out _).ShouldBeTrue(problem.ToString());
    }

    [Fact]
    public async Task Parse_NulCharacters_ProblemNamingText()
    {
        using var client = factory.CreateClient();

        var problem = await (await client.PostAsJsonAsync("/model/parse", new { text = "park\u0000\u0001 here" })).ShouldHaveStatusAsync(HttpStatusCode.BadRequest);

        problem.GetProperty("errors").TryGetProperty("text", out _).ShouldBeTrue(problem.ToString());
    }

    [Fact]
    public async Task Parse_NoText_ProblemNamingText()
    {
        using var client = factory.CreateClient();

        var problem = await (await client.PostAsJsonAsync("/model/parse", new { message_id = "x" })).ShouldHaveStatusAsync(HttpStatusCode.BadRequest);

        problem.GetProperty("errors").TryGetProperty("text", out _).ShouldBeTrue(problem.ToString());
    }
}
