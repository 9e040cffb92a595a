using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Text;

namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>An intent and how sure the classifier is of it (0–1, all intents of a message summing to 1).</summary>
public sealed record IntentScore(string Name, double Confidence);

/// <summary>
/// Intent classification: the folded words of a message, places and plates masked, as words plus character n-grams of
/// 1–4 (so typos and Danish compounds still share most features), TF-IDF weighted, into an L-BFGS maximum-entropy
/// (multinomial logistic regression) classifier whose scores are probabilities. Chosen by cross-validation: word bigrams,
/// longer n-grams and SDCA all did worse. Both languages share one model: their
/// vocabularies barely overlap, and a mixed message still lands where its words point.
/// </summary>
public sealed class IntentClassifier
{
    private readonly string[] labels;
    private readonly NluCues cues;
    private readonly Func<PredictionEngine<Utterance, Prediction>> newEngine;
    private readonly ConcurrentQueue<PredictionEngine<Utterance, Prediction>> engines = new();

    private IntentClassifier(MLContext ml, ITransformer model, string[] labels, NluCues cues, SchemaDefinition schema)
    {
        this.labels = labels;
        this.cues = cues;
        // A prediction engine is not thread-safe and is costly to create: a pool of them, taken by whichever thread answers.
        // One per thread made a new engine for every thread the thread pool added under load, and left the old ones to
        // the garbage collector when it retired them.
        newEngine = () => ml.Model.CreatePredictionEngine<Utterance, Prediction>(model, inputSchemaDefinition: schema);
        for (var i = 0; i < Environment.ProcessorCount; i++) engines.Enqueue(newEngine());
    }

    public static IntentClassifier Train(IReadOnlyList<NluExample> examples, NluCues cues, int seed = 1)
    {
        var ml = new MLContext(seed);
        // An example with no words ("?") has no features: it would only raise its intent's bias, so that blank or
        // unreadable messages were guessed as that intent rather than left to the fallback.
        var rows = examples.Select(e => Read(NluText.Words(NluText.Masked(e.Text, e.Entities)), cues, e.Intent))
            .Where(u => u.Text.Length > 0)
            .ToList();
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Utterance.Intent))
            .Append(ml.Transforms.Text.FeaturizeText("TextFeatures", new TextFeaturizingEstimator.Options
            {
                CaseMode = TextNormalizingEstimator.CaseMode.None, // folded already
                KeepDiacritics = true,
                KeepPunctuations = false,
                KeepNumbers = true,
                WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = 1, UseAllLengths = true, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf },
                CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = 4, UseAllLengths = true, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf },
                Norm = TextFeaturizingEstimator.NormFunction.L2,
            }, nameof(Utterance.Text)))
            .Append(ml.Transforms.Concatenate("Features", "TextFeatures", nameof(Utterance.Cues)))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new Microsoft.ML.Trainers.LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                L1Regularization = 0, // ML.NET defaults to 1, which leaves too few of the many n-grams
                L2Regularization = 4e-3f, // with the fallback threshold, cross-validated: 1e-2 0.925 before cues; 1e-3 to 4e-3 within 0.003
            }));
        var schema = SchemaDefinition.Create(typeof(Utterance));
        schema[nameof(Utterance.Cues)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, cues.Count);
        var model = pipeline.Fit(ml.Data.LoadFromEnumerable(rows, schema));
        var scores = model.GetOutputSchema(ml.Data.LoadFromEnumerable(rows, schema).Schema)["Score"];
        VBuffer<ReadOnlyMemory<char>> names = default;
        scores.GetSlotNames(ref names);
        return new IntentClassifier(ml, model, names.DenseValues().Select(n => n.ToString()).ToArray(), cues, schema);
    }

    /// <summary>Every intent, most likely first.</summary>
    /// <param name="entities">The message's entities: names and plates are read as what they are, not as words.</param>
    public IReadOnlyList<IntentScore> Rank(string text, IReadOnlyList<ExtractedEntity> entities)
    {
        var words = NluText.Words(NluText.Masked(text, entities));
        var ranking = new IntentScore[labels.Length];
        if (words.Length == 0)
        {
            // Nothing to read: every intent equally likely, so the caller's fallback decides.
            for (var i = 0; i < labels.Length; i++) ranking[i] = new IntentScore(labels[i], 1.0 / labels.Length);
            return ranking;
        }
        var engine = engines.TryDequeue(out var idle) ? idle : newEngine();
        try
        {
            var prediction = engine.Predict(Read(words, cues, ""));
            for (var i = 0; i < labels.Length; i++) ranking[i] = new IntentScore(labels[i], prediction.Score[i]);
        }
        finally
        {
            engines.Enqueue(engine);
        }
        Array.Sort(ranking, (a, b) => b.Confidence.CompareTo(a.Confidence));
        return ranking;
    }

    /// <summary>A message's words and its cues.</summary>
    private static Utterance Read(string words, NluCues cues, string intent)
    {
        return new Utterance { Text = words, Cues = cues.Vector(words), Intent = intent };
    }

    private sealed class Utterance
    {
        public string Text { get; set; } = "";

        public float[] Cues { get; set; } = [];

        public string Intent { get; set; } = "";
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }
}
