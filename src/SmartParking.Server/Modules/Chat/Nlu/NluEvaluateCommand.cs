using System.Globalization;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>
/// <c>nlu-evaluate [--data DIR] [--folds N] [--test DIR]</c>: cross-validates the assistant's NLU on its training data
/// (the built-in data, or a directory of Rasa NLU YAML), or with <c>--test</c> trains on all of it and scores the test
/// directory's examples instead, and prints per intent its accuracy, the confusions, per entity precision, recall and F1,
/// and a last line starting <c>overall</c>.
/// </summary>
public static class NluEvaluateCommand
{
    public const string Name = "nlu-evaluate";
    private const string Usage = "usage: nlu-evaluate [--data DIR] [--folds N] [--test DIR]";

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        string? directory = null;
        string? testDirectory = null;
        var folds = 5;
        try
        {
            for (var i = 0; i < args.Count; i++)
            {
                var name = args[i];
                string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{name} needs a value");
                switch (name)
                {
                    case "--data": directory = ShellPaths.Resolve(Value()); break;
                    case "--test": testDirectory = ShellPaths.Resolve(Value()); break;
                    case "--folds":
                        var n = Value();
                        if (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out folds) || folds is < 2 or > 20)
                            throw new UsageException($"--folds '{n}' must be a whole number from 2 to 20");
                        break;
                    default: throw new UsageException($"unknown argument '{name}'");
                }
            }
            var data = NluDataSource.Load(directory);
            var test = testDirectory is null ? null : RasaNluYaml.Read(NluDataSource.FromDirectory(testDirectory));
            output.WriteLine(test is null
                ? $"data source={directory ?? "built-in"} examples={data.Examples.Count} intents={data.Intents.Count} folds={folds}"
                : $"data source={directory ?? "built-in"} examples={data.Examples.Count} intents={data.Intents.Count} test={testDirectory} test_examples={test.Examples.Count}");
            var report = test is null ? NluEvaluation.CrossValidate(data, folds) : NluEvaluation.Test(data, test);
            foreach (var i in report.Intents)
                output.WriteLine(Invariant($"intent name={i.Intent} examples={i.Examples} accuracy={i.Accuracy:0.000}"));
            foreach (var c in report.Confusions)
                output.WriteLine($"confusion expected={c.Expected} predicted={c.Predicted} count={c.Count} e.g. {string.Join(" | ", c.Examples.Select(e => $"\"{e}\""))}");
            foreach (var e in report.Entities.Append(report.AllEntities))
                output.WriteLine(Invariant($"entity name={e.Entity} correct={e.Correct} spurious={e.Spurious} missed={e.Missed} precision={e.Precision:0.000} recall={e.Recall:0.000} f1={e.F1:0.000}"));
            output.WriteLine(Invariant($"overall examples={report.Examples} intent_accuracy={report.Accuracy:0.000} top_intent_accuracy={report.TopAccuracy:0.000} fallbacks={report.Fallbacks} entity_f1={report.AllEntities.F1:0.000}"));
            return 0;
        }
        catch (Exception e) when (e is UsageException or NluDataException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{Name}: {e.Message}");
            if (e is UsageException) error.WriteLine(Usage);
            return 1;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class UsageException(string message) : Exception(message);
}
