using SmartParking.Server.Modules.Chat.Nlu;

namespace SmartParking.Tests.Chat;

/// <summary>Rasa NLU YAML as a Rasa user writes it: every annotation form, synonyms, lookups, regexes, and errors that say where.</summary>
public sealed class RasaNluYamlTests
{
    private static NluTrainingData Read(string yaml) => RasaNluYaml.Read([("test.yml", yaml)]);

    [Fact]
    public void Read_EveryAnnotationForm_PlainTextWithSpansAndValues()
    {
        var data = Read("""
            version: "3.1"
            nlu:
            - intent: find_parking
              examples: |
                - park near [Dokk1](location) please
                - a [charger](space_type:ev) spot
                - any [wheelchair]{"entity": "space_type", "value": "accessible", "role": "need"} space near [the station](location)?
            """);

        data.Examples.Select(e => e.Text).ShouldBe(["park near Dokk1 please", "a charger spot", "any wheelchair space near the station?"]);
        var near = data.Examples[2].Entities;
        near.Select(e => (e.Entity, e.Value, e.Start, e.End)).ShouldBe([("space_type", "accessible", 4, 14), ("location", "the station", 26, 37)]);
        data.Examples[2].Text[26..37].ShouldBe("the station");
        // An annotation with a value is a synonym, as in Rasa.
        data.Canonical("Charger").ShouldBe("ev");
        data.Canonical("WHEELCHAIR").ShouldBe("accessible");
    }

    [Fact]
    public void Read_SynonymsLookupsRegexesAndListExamples_Merged()
    {
        var data = RasaNluYaml.Read([
            ("a.yml", """
                nlu:
                - intent: greet
                  examples:
                    - hi
                    - hej
                - synonym: ev
                  examples: |
                    - elbil
                    - ladestander
                """),
            ("b.yml", """
                version: "3.1"
                nlu:
                - lookup: location
                  examples: |
                    - Dokk1
                    - Musikhuset
                - regex: plate
                  examples: |
                    - \b[A-Z]{2}\s?\d{5}\b
                stories:
                - story: ignored
                  steps: []
                """)]);

        data.Intents.ShouldBe(["greet"]);
        data.Examples.Count.ShouldBe(2);
        data.Canonical("Elbil").ShouldBe("ev");
        data.Canonical("ladestånder").ShouldBe("ladestånder"); // a different word, not a synonym
        data.Lookups["location"].ShouldBe(["Dokk1", "Musikhuset"]);
        data.Regexes.Single().Pattern.IsMatch("my car is ab 12345").ShouldBeTrue();
    }

    [Theory]
    [InlineData("nlu:\n- intent: greet\n  examples: |\n    - hi\n    - [broken(location)\n", "test.yml")]
    [InlineData("nlu:\n- intent: greet\n  examples: |\n    - hi\n    - park near [x]{\"entity\": }\n", "not valid JSON")]
    [InlineData("nlu:\n- intent: greet\n  examples: |\n    - hi\n    hello without a dash\n", "line 5")]
    [InlineData("nlu:\n- examples: |\n    - hi\n", "line 2")]
    [InlineData("nlu:\n- regex: plate\n  examples: |\n    - ([A-Z\n- intent: greet\n  examples: |\n    - hi\n", "line 4")]
    [InlineData("nlu: [unclosed", "not valid YAML")]
    [InlineData("version: \"3.1\"\n", "no intent examples")]
    public void Read_BrokenData_ErrorSaysWhere(string yaml, string expected)
    {
        var error = Should.Throw<NluDataException>(() => Read(yaml));

        error.Message.ShouldContain(expected);
    }
}
