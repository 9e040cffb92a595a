namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>How often one intent was taken for another in cross-validation, with a few of the utterances.</summary>
public sealed record IntentConfusion(string Expected, string Predicted, int Count, IReadOnlyList<string> Examples);

/// <summary>Exact-span entity matches: found and annotated, found but not annotated, annotated but missed.</summary>
public sealed record EntityScore(string Entity, int Correct, int Spurious, int Missed)
{
    public double Precision => Correct + Spurious == 0 ? 0 : (double)Correct / (Correct + Spurious);

    public double Recall => Correct + Missed == 0 ? 0 : (double)Correct / (Correct + Missed);

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
}

public sealed record IntentAccuracy(string Intent, int Examples, int Correct)
{
    public double Accuracy => Examples == 0 ? 0 : (double)Correct / Examples;
}

/// <summary>
/// Cross-validation of the NLU on its own data. <see cref="Accuracy"/> counts a fallback (a clarifying question) as
/// wrong, as Rasa's evaluation does; <see cref="TopAccuracy"/> is the best-ranked intent's, fallback or not.
/// </summary>
public sealed record NluEvaluationReport(int Folds, int Examples, double Accuracy, double TopAccuracy, int Fallbacks,
    IReadOnlyList<IntentAccuracy> Intents, IReadOnlyList<IntentConfusion> Confusions, IReadOnlyList<EntityScore> Entities)
{
    /// <summary>Micro-averaged over every entity.</summary>
    public EntityScore AllEntities => new("all", Entities.Sum(e => e.Correct), Entities.Sum(e => e.Spurious), Entities.Sum(e => e.Missed));
}

public static class NluEvaluation
{
    /// <summary>The instant relative times are resolved against (spans, not values, are scored).</summary>
    private static readonly DateTimeOffset Now = new(2026, 6, 10, 10, 0, 0, TimeSpan.FromHours(2));

    /// <summary>Stratified k-fold: each intent's examples are dealt round the folds in a seeded shuffle.</summary>
    public static NluEvaluationReport CrossValidate(NluTrainingData data, int folds, NluFallback? fallback = null, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var random = new Random(seed);
        var fold = new Dictionary<NluExample, int>(ReferenceEqualityComparer.Instance);
        foreach (var group in data.Examples.GroupBy(e => e.Intent))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            for (var i = 0; i < members.Length; i++) fold[members[i]] = i % folds;
        }

        var tally = new Tally();
        for (var k = 0; k < folds; k++)
        {
            var test = data.Examples.Where(e => fold[e] == k).ToList();
            if (test.Count == 0) continue;
            var model = NluModel.Train(data.WithExamples(data.Examples.Where(e => fold[e] != k).ToList()), fallback);
            foreach (var example in test) tally.Add(example, model);
        }
        return tally.Report(folds);
    }

    /// <summary>
    /// Trains on all of <paramref name="training"/> and scores the examples of <paramref name="test"/>, which it never
    /// saw (Rasa's <c>rasa test nlu --nlu</c>). Folds are reported as 0.
    /// </summary>
    public static NluEvaluationReport Test(NluTrainingData training, NluTrainingData test, NluFallback? fallback = null)
    {
        var model = NluModel.Train(training, fallback);
        var tally = new Tally();
        foreach (var example in test.Examples) tally.Add(example, model);
        return tally.Report(0);
    }

    private sealed class Tally
    {
        private static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
        private int examples;
        private int correct;
        private int topCorrect;
        private int fallbacks;
        private readonly Dictionary<string, (int Examples, int Correct)> perIntent = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, string), List<string>> confusions = [];
        private readonly Dictionary<string, (int Correct, int Spurious, int Missed)> entityCounts = new(StringComparer.Ordinal);

        public void Add(NluExample example, NluModel model)
        {
            var parse = model.Parse(example.Text, Now, Zone);
            var predicted = parse.Intent.Name;
            var top = parse.Ranking.First(r => r.Name != NluModel.FallbackIntent).Name;
            examples++;
            if (parse.IsFallback) fallbacks++;
            if (top == example.Intent) topCorrect++;
            var (n, c) = perIntent.GetValueOrDefault(example.Intent);
            if (predicted == example.Intent)
            {
                correct++;
                c++;
            }
            else
            {
                if (!confusions.TryGetValue((example.Intent, predicted), out var texts)) confusions[(example.Intent, predicted)] = texts = [];
                texts.Add(example.Text);
            }
            perIntent[example.Intent] = (n + 1, c);
            Score(example.Entities, parse.Entities, entityCounts);
        }

        public NluEvaluationReport Report(int folds) => new(folds, examples,
            examples == 0 ? 0 : (double)correct / examples, examples == 0 ? 0 : (double)topCorrect / examples, fallbacks,
            perIntent.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new IntentAccuracy(p.Key, p.Value.Examples, p.Value.Correct)).ToList(),
            confusions.OrderByDescending(c => c.Value.Count).ThenBy(c => c.Key.Item1, StringComparer.Ordinal)
                .Select(c => new IntentConfusion(c.Key.Item1, c.Key.Item2, c.Value.Count, c.Value.Take(3).ToList())).ToList(),
            entityCounts.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new EntityScore(e.Key, e.Value.Correct, e.Value.Spurious, e.Value.Missed)).ToList());
    }

    private static void Score(IReadOnlyList<ExtractedEntity> gold, IReadOnlyList<ExtractedEntity> found,
        Dictionary<string, (int Correct, int Spurious, int Missed)> counts)
    {
        static bool Same(ExtractedEntity a, ExtractedEntity b) => a.Entity == b.Entity && a.Start == b.Start && a.End == b.End;
        foreach (var g in gold)
        {
            var (c, s, m) = counts.GetValueOrDefault(g.Entity);
            counts[g.Entity] = found.Any(f => Same(f, g)) ? (c + 1, s, m) : (c, s, m + 1);
        }
        foreach (var f in found.Where(f => !gold.Any(g => Same(f, g))))
        {
            var (c, s, m) = counts.GetValueOrDefault(f.Entity);
            counts[f.Entity] = (c, s + 1, m);
        }
    }
}
