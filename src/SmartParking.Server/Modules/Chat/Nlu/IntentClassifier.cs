using System.Buffers;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>An intent and how sure the classifier is of it (0–1, all intents of a message summing to 1).</summary>
public sealed record IntentScore(string Name, double Confidence);

/// <summary>
/// Intent classification: the folded words of a message, places and plates masked, as words plus character n-grams of
/// 1–4 (so typos and Danish compounds still share most features), TF-IDF weighted and scaled to length 1, plus the data's
/// cues, into an L-BFGS maximum-entropy (multinomial logistic regression) classifier whose scores are probabilities.
/// Chosen by cross-validation: word bigrams, longer n-grams and SDCA all did worse. Both languages share one model: their
/// vocabularies barely overlap, and a mixed message still lands where its words point.
/// <para>
/// ML.NET trains the weights; a message is scored here, from the same features (<see cref="Featurizer"/>) and the
/// weights read out of the trained model. ML.NET's prediction engine ran a chain of transforms per message and was a
/// tenth of what a chat message cost the server.
/// </para>
/// </summary>
public sealed class IntentClassifier
{
    private readonly string[] labels;
    private readonly NluCues cues;
    private readonly Featurizer featurizer;

    /// <summary>Feature-major: the weights of feature f are [f * classes, (f + 1) * classes), cues after the text features.</summary>
    private readonly float[] weights;

    private readonly float[] biases;

    private IntentClassifier(string[] labels, NluCues cues, Featurizer featurizer, float[] weights, float[] biases)
    {
        this.labels = labels;
        this.cues = cues;
        this.featurizer = featurizer;
        this.weights = weights;
        this.biases = biases;
    }

    public static IntentClassifier Train(IReadOnlyList<NluExample> examples, NluCues cues, int seed = 1)
    {
        var ml = new MLContext(seed);
        // An example with no words ("?") has no features: it would only raise its intent's bias, so that blank or
        // unreadable messages were guessed as that intent rather than left to the fallback.
        var texts = examples.Select(e => (Words: NluText.Words(NluText.Masked(e.Text, e.Entities)), e.Intent))
            .Where(e => e.Words.Length > 0)
            .ToList();
        var featurizer = Featurizer.Learn(texts.Select(t => t.Words).ToList());
        var length = featurizer.Count + cues.Count;
        var rows = texts.Select(t => new Row { Features = Vectorize(featurizer, cues, t.Words, length), Intent = t.Intent }).ToList();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, length);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Intent))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                FeatureColumnName = nameof(Row.Features),
                L1Regularization = 0, // ML.NET defaults to 1, which leaves too few of the many n-grams
                L2Regularization = 4e-3f, // with the fallback threshold, cross-validated: 1e-2 0.925 before cues; 1e-3 to 4e-3 within 0.003
            }));
        var model = pipeline.Fit(data);
        VBuffer<ReadOnlyMemory<char>> names = default;
        model.GetOutputSchema(data.Schema)["Score"].GetSlotNames(ref names);
        var labels = names.DenseValues().Select(n => n.ToString()).ToArray();

        var parameters = model.LastTransformer.Model;
        VBuffer<float>[] perClass = [];
        parameters.GetWeights(ref perClass, out var classes);
        var weights = new float[length * classes];
        for (var k = 0; k < classes; k++)
        {
            var values = perClass[k].GetValues();
            var indices = perClass[k].GetIndices();
            for (var i = 0; i < values.Length; i++) weights[(perClass[k].IsDense ? i : indices[i]) * classes + k] = values[i];
        }
        return new IntentClassifier(labels, cues, featurizer, weights, parameters.GetBiases().ToArray());
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
        var classes = labels.Length;
        Span<float> scores = stackalloc float[classes];
        biases.CopyTo(scores);
        using (var features = featurizer.Features(words))
            for (var i = 0; i < features.Indices.Length; i++) AddWeighted(scores, features.Indices[i], features.Values[i]);
        var cueValues = cues.Vector(words);
        for (var c = 0; c < cueValues.Length; c++)
            if (cueValues[c] != 0) AddWeighted(scores, featurizer.Count + c, cueValues[c]);
        // Softmax, from the highest score so no exponent overflows.
        var max = float.NegativeInfinity;
        foreach (var s in scores) max = Math.Max(max, s);
        double sum = 0;
        for (var k = 0; k < classes; k++) sum += Math.Exp(scores[k] - max);
        for (var k = 0; k < classes; k++) ranking[k] = new IntentScore(labels[k], (float)(Math.Exp(scores[k] - max) / sum));
        Array.Sort(ranking, (a, b) => b.Confidence.CompareTo(a.Confidence));
        return ranking;
    }

    private void AddWeighted(Span<float> scores, int feature, float value)
    {
        var row = weights.AsSpan(feature * scores.Length, scores.Length);
        for (var k = 0; k < scores.Length; k++) scores[k] += row[k] * value;
    }

    /// <summary>A message's text features then its cues, as one sparse vector of <paramref name="length"/>.</summary>
    private static VBuffer<float> Vectorize(Featurizer featurizer, NluCues cues, string words, int length)
    {
        var indices = new List<int>();
        var values = new List<float>();
        using (var features = featurizer.Features(words))
        {
            indices.AddRange(features.Indices);
            values.AddRange(features.Values);
        }
        var cueValues = cues.Vector(words);
        for (var c = 0; c < cueValues.Length; c++)
            if (cueValues[c] != 0)
            {
                indices.Add(featurizer.Count + c);
                values.Add(cueValues[c]);
            }
        return new VBuffer<float>(length, indices.Count, [.. values], [.. indices]);
    }

    private sealed class Row
    {
        public VBuffer<float> Features { get; set; }

        public string Intent { get; set; } = "";
    }

    /// <summary>
    /// Words and character n-grams of 1–4 (the text framed by start and end marks, spaces included, so word edges count),
    /// each weighted by its count times its inverse document frequency in the training texts, the whole scaled to length
    /// 1. N-grams the training texts never had are left out.
    /// </summary>
    internal sealed class Featurizer
    {
        private const int LongestCharGram = 4;
        private const char Start = '\u0002';
        private const char End = '\u0003';

        private readonly Dictionary<string, int> words;
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> wordLookup;
        private readonly Dictionary<string, int> grams;
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> gramLookup;
        private readonly float[] idf;

        private Featurizer(Dictionary<string, int> words, Dictionary<string, int> grams, float[] idf)
        {
            this.words = words;
            this.grams = grams;
            this.idf = idf;
            wordLookup = words.GetAlternateLookup<ReadOnlySpan<char>>();
            gramLookup = grams.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        /// <summary>How many features: the training texts' distinct words and n-grams.</summary>
        public int Count => idf.Length;

        public static Featurizer Learn(IReadOnlyList<string> texts)
        {
            var words = new Dictionary<string, int>(StringComparer.Ordinal);
            var grams = new Dictionary<string, int>(StringComparer.Ordinal);
            var wordDocuments = new List<int>(); // per word, how many texts have it
            var gramDocuments = new List<int>();
            var seenWords = new HashSet<int>();
            var seenGrams = new HashSet<int>();
            foreach (var text in texts)
            {
                seenWords.Clear();
                seenGrams.Clear();
                var normal = Normal(text);
                foreach (var word in normal.Split(' ', StringSplitOptions.RemoveEmptyEntries)) seenWords.Add(IndexOf(words, wordDocuments, word));
                var framed = Start + normal + End;
                for (var i = 0; i < framed.Length; i++)
                    for (var n = 1; n <= LongestCharGram && i + n <= framed.Length; n++) seenGrams.Add(IndexOf(grams, gramDocuments, framed.Substring(i, n)));
                foreach (var f in seenWords) wordDocuments[f]++;
                foreach (var f in seenGrams) gramDocuments[f]++;
            }
            // Words first, then n-grams: one numbering, so a word and an n-gram of the same text are two features.
            var numberedGrams = grams.ToDictionary(g => g.Key, g => g.Value + words.Count, StringComparer.Ordinal);
            var idf = wordDocuments.Concat(gramDocuments).Select(df => (float)Math.Log((double)texts.Count / df)).ToArray();
            return new Featurizer(words, numberedGrams, idf);

            static int IndexOf(Dictionary<string, int> vocabulary, List<int> documents, string key)
            {
                if (vocabulary.TryGetValue(key, out var index)) return index;
                vocabulary[key] = index = documents.Count;
                documents.Add(0);
                return index;
            }
        }

        /// <summary>The text's features (index, value), by index, each once; dispose to give the buffers back.</summary>
        public Vector Features(string text)
        {
            var normal = Normal(text);
            var found = ArrayPool<int>.Shared.Rent(normal.Length * (LongestCharGram + 1) + 2 * LongestCharGram);
            var count = 0;
            foreach (var range in normal.AsSpan().Split(' '))
            {
                var word = normal.AsSpan(range);
                if (word.Length > 0 && wordLookup.TryGetValue(word, out var f)) found[count++] = f;
            }
            var framedLength = normal.Length + 2;
            Span<char> framed = framedLength <= 256 ? stackalloc char[framedLength] : new char[framedLength];
            framed[0] = Start;
            normal.CopyTo(framed[1..]);
            framed[^1] = End;
            for (var i = 0; i < framed.Length; i++)
                for (var n = 1; n <= LongestCharGram && i + n <= framed.Length; n++)
                    if (gramLookup.TryGetValue(framed.Slice(i, n), out var f)) found[count++] = f;
            return new Vector(this, found, count);
        }

        /// <summary>The text as the features read it: punctuation (an apostrophe) dropped, words apart by one space.</summary>
        private static string Normal(string text)
        {
            if (!text.AsSpan().ContainsAny(Punctuation)) return text;
            return string.Create(text.Length - Punctuations(text), text, static (span, source) =>
            {
                var at = 0;
                foreach (var c in source)
                    if (!char.IsPunctuation(c)) span[at++] = c;
            });

            static int Punctuations(string s)
            {
                var n = 0;
                foreach (var c in s)
                    if (char.IsPunctuation(c)) n++;
                return n;
            }
        }

        private static readonly SearchValues<char> Punctuation = SearchValues.Create(
            Enumerable.Range(0, char.MaxValue + 1).Select(c => (char)c).Where(char.IsPunctuation).ToArray());

        /// <summary>A text's features: indices sorted, repeats counted, TF-IDF weighted and scaled to length 1.</summary>
        public readonly struct Vector : IDisposable
        {
            private readonly int[] found;
            private readonly float[] values;
            private readonly int length;

            public Vector(Featurizer featurizer, int[] found, int count)
            {
                this.found = found;
                Array.Sort(found, 0, count);
                values = ArrayPool<float>.Shared.Rent(Math.Max(1, count));
                // Words and n-grams are each scaled to length 1, so a message's few words weigh as much as its many n-grams.
                var firstGram = 0;
                double wordSquares = 0, gramSquares = 0;
                for (var i = 0; i < count;)
                {
                    var f = found[i];
                    var tf = 0;
                    while (i < count && found[i] == f) { tf++; i++; }
                    var value = tf * featurizer.idf[f];
                    if (f < featurizer.words.Count)
                    {
                        wordSquares += (double)value * value;
                        firstGram = length + 1;
                    }
                    else gramSquares += (double)value * value;
                    found[length] = f;
                    values[length++] = value;
                }
                Scale(values.AsSpan(0, firstGram), wordSquares);
                Scale(values.AsSpan(firstGram, length - firstGram), gramSquares);
            }

            private static void Scale(Span<float> values, double squares)
            {
                var scale = squares > 0 ? (float)(1 / Math.Sqrt(squares)) : 0f;
                foreach (ref var v in values) v *= scale;
            }

            public ReadOnlySpan<int> Indices => found.AsSpan(0, length);

            public ReadOnlySpan<float> Values => values.AsSpan(0, length);

            public void Dispose()
            {
                ArrayPool<int>.Shared.Return(found);
                ArrayPool<float>.Shared.Return(values);
            }
        }
    }
}
