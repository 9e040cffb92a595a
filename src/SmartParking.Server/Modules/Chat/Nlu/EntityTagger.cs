namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>
/// Learned entity extraction, in the spirit of Rasa's CRF extractor: each token gets a BIO tag (B-location, I-location, O…)
/// from an averaged perceptron over the word, its shape and affixes, the two words either side, the previous tag and
/// whether a lookup table, regex or synonym of the training data covers it. It learns the context ("near X", "ved X",
/// "my plate is X"), so it finds places and plates it has never seen. Time and duration are left to the rules
/// (<see cref="TimeExpressions"/>), as Rasa leaves them to Duckling.
/// </summary>
public sealed class EntityTagger
{
    private const string Outside = "O";
    private const int Epochs = 12;

    private readonly string[] tags;
    private readonly Dictionary<string, float[]> weights;
    private readonly NluGazetteer gazetteer;

    private EntityTagger(string[] tags, Dictionary<string, float[]> weights, NluGazetteer gazetteer)
    {
        this.tags = tags;
        this.weights = weights;
        this.gazetteer = gazetteer;
    }

    /// <summary>The entities the tagger learns: everything annotated but those the rules own.</summary>
    public static bool Learns(string entity) => entity is not ("time" or "duration");

    public static EntityTagger Train(IReadOnlyList<NluExample> examples, NluGazetteer gazetteer, int seed = 1)
    {
        var sentences = examples.Select(e => Sentence(e, gazetteer)).ToList();
        var tags = sentences.SelectMany(s => s.Gold).Append(Outside).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var tagIndex = tags.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        // Averaging: each weight's running total is kept lazily, brought up to date when the weight changes.
        var totals = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var stamps = new Dictionary<string, long[]>(StringComparer.Ordinal);
        long step = 0;
        var random = new Random(seed);
        var order = Enumerable.Range(0, sentences.Count).ToArray();
        var tagger = new EntityTagger(tags, weights, gazetteer);

        void Update(string feature, int tag, float delta)
        {
            if (!weights.TryGetValue(feature, out var w))
            {
                weights[feature] = w = new float[tags.Length];
                totals[feature] = new double[tags.Length];
                stamps[feature] = new long[tags.Length];
            }
            var total = totals[feature];
            var stamp = stamps[feature];
            total[tag] += (step - stamp[tag]) * (double)w[tag];
            stamp[tag] = step;
            w[tag] += delta;
        }

        for (var epoch = 0; epoch < Epochs; epoch++)
        {
            random.Shuffle(order);
            foreach (var index in order)
            {
                var (tokens, cover, gold) = sentences[index];
                var previous = "<s>";
                for (var i = 0; i < tokens.Count; i++)
                {
                    step++;
                    var features = new FeatureList(new List<string>(24));
                    Features(ref features, tokens, cover, i, previous);
                    var guess = tagger.Best(features.Names);
                    var truth = tagIndex[gold[i]];
                    if (guess != truth)
                        foreach (var f in features.Names)
                        {
                            Update(f, truth, 1);
                            Update(f, guess, -1);
                        }
                    // Trained on its own previous guesses, as it will run.
                    previous = tags[guess];
                }
            }
        }

        foreach (var (feature, w) in weights)
        {
            var total = totals[feature];
            var stamp = stamps[feature];
            for (var t = 0; t < w.Length; t++) w[t] = (float)((total[t] + (step - stamp[t]) * (double)w[t]) / step);
        }
        return tagger;
    }

    /// <summary>The entity spans found in a text, values as written (synonyms are mapped later).</summary>
    public IReadOnlyList<ExtractedEntity> Extract(string text)
    {
        var tokens = NluText.Tokens(text);
        return Extract(text, tokens, gazetteer.Find(text, tokens));
    }

    /// <summary>As <see cref="Extract(string)"/>, with the text's tokens and word-list matches already made.</summary>
    public IReadOnlyList<ExtractedEntity> Extract(string text, IReadOnlyList<NluToken> tokens, IReadOnlyList<ExtractedEntity> listMatches)
    {
        var cover = NluGazetteer.Cover(tokens, listMatches);
        var found = new List<ExtractedEntity>();
        var previous = "<s>";
        (string Entity, int Start, int End)? open = null;
        for (var i = 0; i < tokens.Count; i++)
        {
            var tag = tags[BestAt(tokens, cover, i, previous)];
            previous = tag;
            var entity = tag == Outside ? null : tag[2..];
            if (open is { } o && (entity is null || tag[0] == 'B' || entity != o.Entity))
            {
                found.Add(Entity(text, o));
                open = null;
            }
            if (entity is null) continue;
            open = open is { } current ? current with { End = tokens[i].End } : (entity, tokens[i].Start, tokens[i].End);
        }
        if (open is { } last) found.Add(Entity(text, last));
        return found;
    }

    private static ExtractedEntity Entity(string text, (string Entity, int Start, int End) span) =>
        new(span.Entity, text[span.Start..span.End], span.Start, span.End, nameof(EntityTagger));

    private int Best(List<string> features)
    {
        Span<float> scores = stackalloc float[tags.Length];
        foreach (var f in features)
            if (weights.TryGetValue(f, out var w))
                for (var t = 0; t < w.Length; t++) scores[t] += w[t];
        return Highest(scores);
    }

    /// <summary>As <see cref="Best"/> over the token's features, looked up without making a string of each: this runs for every token of every message.</summary>
    private int BestAt(IReadOnlyList<NluToken> tokens, List<string>?[] cover, int i, string previousTag)
    {
        Span<float> scores = stackalloc float[tags.Length];
        var sink = new FeatureScores(weights.GetAlternateLookup<ReadOnlySpan<char>>(), scores);
        Features(ref sink, tokens, cover, i, previousTag);
        return Highest(scores);
    }

    private static int Highest(ReadOnlySpan<float> scores)
    {
        var best = 0;
        for (var t = 1; t < scores.Length; t++)
            if (scores[t] > scores[best]) best = t;
        return best;
    }

    /// <summary>Where a token's features go: named in training, scored when extracting. One list of features serves both, so they cannot drift apart.</summary>
    private interface IFeatureSink
    {
        /// <summary>The feature named by the parts joined.</summary>
        void Add(scoped ReadOnlySpan<char> a, scoped ReadOnlySpan<char> b = default, scoped ReadOnlySpan<char> c = default, scoped ReadOnlySpan<char> d = default);
    }

    private readonly record struct FeatureList(List<string> Names) : IFeatureSink
    {
        public void Add(scoped ReadOnlySpan<char> a, scoped ReadOnlySpan<char> b = default, scoped ReadOnlySpan<char> c = default, scoped ReadOnlySpan<char> d = default) =>
            Names.Add(string.Concat(a, b, c, d));
    }

    private readonly ref struct FeatureScores(Dictionary<string, float[]>.AlternateLookup<ReadOnlySpan<char>> weights, Span<float> scores) : IFeatureSink
    {
        private const int OnStack = 128;
        private readonly Span<float> scores = scores;

        public void Add(scoped ReadOnlySpan<char> a, scoped ReadOnlySpan<char> b = default, scoped ReadOnlySpan<char> c = default, scoped ReadOnlySpan<char> d = default)
        {
            var length = a.Length + b.Length + c.Length + d.Length;
            char[]? rented = null;
            var name = length <= OnStack ? stackalloc char[OnStack] : rented = System.Buffers.ArrayPool<char>.Shared.Rent(length);
            a.CopyTo(name);
            b.CopyTo(name[a.Length..]);
            c.CopyTo(name[(a.Length + b.Length)..]);
            d.CopyTo(name[(a.Length + b.Length + c.Length)..]);
            if (weights.TryGetValue(name[..length], out var w))
                for (var t = 0; t < w.Length; t++) scores[t] += w[t];
            if (rented is not null) System.Buffers.ArrayPool<char>.Shared.Return(rented);
        }
    }

    private static void Features<TSink>(ref TSink sink, IReadOnlyList<NluToken> tokens, List<string>?[] cover, int i, string previousTag)
        where TSink : IFeatureSink, allows ref struct
    {
        var token = tokens[i];
        var word = token.Folded;
        string At(int j) => j < 0 ? "<s>" : j >= tokens.Count ? "</s>" : tokens[j].Folded;
        var shapeLength = Math.Min(token.Text.Length, 64);
        Span<char> shape = stackalloc char[shapeLength];
        shape = shape[..Shape(token.Text.AsSpan(0, shapeLength), shape)];
        sink.Add("bias");
        sink.Add("w=", word);
        sink.Add("p3=", word.AsSpan(0, Math.Min(3, word.Length)));
        sink.Add("s3=", word.AsSpan(Math.Max(0, word.Length - 3)));
        sink.Add("shape=", token.Text.Length == shapeLength ? shape : Shape(token.Text));
        sink.Add("w-1=", At(i - 1));
        sink.Add("w-2=", At(i - 2));
        sink.Add("w+1=", At(i + 1));
        sink.Add("w+2=", At(i + 2));
        sink.Add("w-1w=", At(i - 1), "|", word);
        sink.Add("w-2w-1=", At(i - 2), "|", At(i - 1));
        sink.Add("t-1=", previousTag);
        sink.Add("t-1w=", previousTag, "|", word);
        sink.Add("t-1w-1=", previousTag, "|", At(i - 1));
        if (cover[i] is { } names)
            foreach (var n in names) sink.Add("gaz=", n);
    }

    /// <summary>Letters as X/x, digits as d, runs collapsed: "Dokk1" → "Xxd", "AB12345" → "Xd", "09:30" → "d:d".</summary>
    internal static string Shape(string text)
    {
        var shape = new char[text.Length];
        return new string(shape, 0, Shape(text, shape));
    }

    private static int Shape(ReadOnlySpan<char> text, Span<char> shape)
    {
        var length = 0;
        foreach (var c in text)
        {
            var s = char.IsUpper(c) ? 'X' : char.IsLower(c) ? 'x' : char.IsDigit(c) ? 'd' : c;
            if (length == 0 || shape[length - 1] != s) shape[length++] = s;
        }
        return length;
    }

    private static (IReadOnlyList<NluToken> Tokens, List<string>?[] Cover, string[] Gold) Sentence(NluExample example, NluGazetteer gazetteer)
    {
        var tokens = NluText.Tokens(example.Text);
        var cover = gazetteer.Cover(example.Text, tokens);
        var gold = new string[tokens.Count];
        for (var i = 0; i < tokens.Count; i++)
        {
            var entity = example.Entities.FirstOrDefault(e => Learns(e.Entity) && tokens[i].Start >= e.Start && tokens[i].End <= e.End);
            gold[i] = entity is null ? Outside
                : (i > 0 && tokens[i - 1].Start >= entity.Start ? "I-" : "B-") + entity.Entity;
        }
        return (tokens, cover, gold);
    }
}
