using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>The NLU's evaluation: cross-validation, the held-out test set, and the cue words it reads.</summary>
[LongRunFirst]
public sealed class NluEvaluationTests
{
    private static readonly string HoldoutDirectory = Path.Combine(AppContext.BaseDirectory, "ChatNluHoldout");

    [Fact]
    public void HeldOutUtterances_TrainedOnEverythingElse_AtLeast95PercentRight()
    {
        // The target, on utterances written after the training data and never trained on.
        var output = new StringWriter();
        var error = new StringWriter();

        var code = NluEvaluateCommand.Run(["--test", HoldoutDirectory], output, error);

        code.ShouldBe(0, error.ToString());
        var overall = output.ToString().Split('\n').Single(l => l.StartsWith("overall ", StringComparison.Ordinal));
        var accuracy = double.Parse(Field(overall, "intent_accuracy"), System.Globalization.CultureInfo.InvariantCulture);
        accuracy.ShouldBeGreaterThanOrEqualTo(0.95, output.ToString());
        int.Parse(Field(overall, "examples"), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(200);
    }

    [Fact]
    public void TestDirectoryMissing_OneClearLine()
    {
        var error = new StringWriter();

        NluEvaluateCommand.Run(["--test", "/nonexistent/holdout"], new StringWriter(), error).ShouldBe(1);

        error.ToString().ShouldContain("does not exist");
    }

    [Fact]
    public void HeldOutUtterances_NoneIsATrainingExample()
    {
        var training = NluDataSource.Load(null).Examples.Select(e => NluText.Words(e.Text)).ToHashSet(StringComparer.Ordinal);
        var holdout = RasaNluYaml.Read(NluDataSource.FromDirectory(HoldoutDirectory)).Examples;

        holdout.Where(e => training.Contains(NluText.Words(e.Text))).Select(e => e.Text).ShouldBeEmpty();
    }

    [Fact]
    public void Cues_LongestPhraseWins_SoADanishFarewellIsNotTwoGreetings()
    {
        var cues = new NluCues(Data(cueLookups: true));

        cues.Find(NluText.Words("hej")).ShouldBe(["cue_greeting"]);
        cues.Find(NluText.Words("Hej hej, vi ses")).ShouldBe(["cue_farewell", "cue_farewell"]);
        cues.Find(NluText.Words("book it")).ShouldBeEmpty();
    }

    [Fact]
    public void CueLookups_AreFeaturesNotEntities()
    {
        var parse = NluModel.Train(Data(cueLookups: true)).Parse("hej hej", DateTimeOffset.UnixEpoch, TimeZoneInfo.Utc);

        parse.Entities.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("bonjour", "greet")]
    [InlineData("later gator", "goodbye")]
    [InlineData("god nat", "goodbye")]
    [InlineData("danke", "thanks")]
    [InlineData("you rock", "thanks")]
    [InlineData("bingo", "affirm")]
    [InlineData("ikke interesseret", "deny")]
    [InlineData("frequently asked questions", "help")]
    [InlineData("i want a representative", "human_handoff")]
    public void CueWord_InNoExample_ReadAsItsIntent(string text, string intent)
    {
        // None of these words is in a training example: only the cue lists (data/chat/nlu/cues.yml) know them.
        BuiltInNlu.Model.Parse(text, DateTimeOffset.UnixEpoch, TimeZoneInfo.Utc).Intent.Name.ShouldBe(intent);
    }

    [Fact]
    public void DataWithoutCues_TrainsAndCrossValidates()
    {
        var report = NluEvaluation.CrossValidate(Data(cueLookups: false), folds: 2);

        report.Examples.ShouldBe(12);
        report.Intents.Select(i => i.Intent).ShouldBe(["goodbye", "greet"]);
    }

    private static string Field(string line, string name) =>
        line.Split(' ').Single(p => p.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];

    private static NluTrainingData Data(bool cueLookups) => RasaNluYaml.Read([("test.yml", $"""
        version: "3.1"
        nlu:
        - intent: greet
          examples: |
            - hi
            - hello there
            - good morning
            - hej
            - hejsa
            - goddag
        - intent: goodbye
          examples: |
            - bye
            - see you later
            - good night
            - farvel
            - vi ses
            - hav det godt
        {(cueLookups ? """
        - lookup: cue_greeting
          examples: |
            - hi
            - hej
            - howdy
        - lookup: cue_farewell
          examples: |
            - bye
            - hej hej
            - cheerio
            - vi ses
        """ : "")}
        """)]);
}
