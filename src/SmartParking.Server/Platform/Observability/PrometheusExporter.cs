using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace SmartParking.Server.Platform.Observability;

/// <summary>
/// Renders System.Diagnostics.Metrics instruments in the Prometheus text exposition format 0.0.4.
/// A MeterListener is process-wide, so this sees every matching meter, whichever DI container created it.
/// </summary>
public sealed partial class PrometheusExporter : IDisposable
{
    // High-cardinality tags (ids, raw paths) would otherwise grow memory without bound.
    private const int MaxSeriesPerInstrument = 2000;
    private const string DroppedName = "prometheus_exporter_dropped_series_total";

    // Prometheus client defaults, which are also what ASP.NET Core advises for request durations.
    private static readonly double[] DefaultBounds = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private static readonly Dictionary<Type, Kind> Kinds = new()
    {
        [typeof(Counter<>)] = Kind.Counter, [typeof(UpDownCounter<>)] = Kind.UpDownCounter,
        [typeof(Histogram<>)] = Kind.Histogram, [typeof(Gauge<>)] = Kind.Gauge,
        [typeof(ObservableCounter<>)] = Kind.ObservableCounter, [typeof(ObservableUpDownCounter<>)] = Kind.ObservableUpDownCounter,
        [typeof(ObservableGauge<>)] = Kind.ObservableGauge,
    };

    private static readonly HashSet<Type> NumericTypes =
        [typeof(byte), typeof(short), typeof(int), typeof(long), typeof(float), typeof(double), typeof(decimal)];

    // UCUM units as used by OpenTelemetry, mapped per the OTel-to-Prometheus compatibility spec.
    private static readonly Dictionary<string, string> Units = new(StringComparer.Ordinal)
    {
        ["d"] = "days", ["h"] = "hours", ["min"] = "minutes", ["s"] = "seconds", ["ms"] = "milliseconds", ["us"] = "microseconds",
        ["ns"] = "nanoseconds", ["By"] = "bytes", ["KiBy"] = "kibibytes", ["MiBy"] = "mebibytes", ["GiBy"] = "gibibytes",
        ["TiBy"] = "tebibytes", ["KBy"] = "kilobytes", ["MBy"] = "megabytes", ["GBy"] = "gigabytes", ["TBy"] = "terabytes",
        ["m"] = "meters", ["V"] = "volts", ["A"] = "amperes", ["J"] = "joules", ["W"] = "watts", ["g"] = "grams",
        ["Cel"] = "celsius", ["Hz"] = "hertz", ["%"] = "percent",
    };

    private static readonly Dictionary<string, string> PerUnits = new(StringComparer.Ordinal)
    {
        ["s"] = "second", ["m"] = "minute", ["h"] = "hour", ["d"] = "day", ["w"] = "week", ["mo"] = "month", ["y"] = "year",
    };

    private readonly HashSet<string> _exactMeters;
    private readonly string[] _meterPrefixes;
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly MeterListener _listener;
    private readonly Lock _scrapeLock = new();
    private long _generation, _order, _dropped;
    private bool _disposed;

    public PrometheusExporter(IEnumerable<string> meterNames)
    {
        var names = meterNames?.ToArray() ?? throw new ArgumentNullException(nameof(meterNames));
        _exactMeters = new HashSet<string>(names.Where(n => !n.EndsWith('*')), StringComparer.Ordinal);
        _meterPrefixes = [.. names.Where(n => n.EndsWith('*')).Select(n => n[..^1])];
        _listener = new MeterListener
        {
            InstrumentPublished = OnInstrumentPublished,
            // Raised when a meter is disposed: its instruments will never report again.
            MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out var _),
        };
        _listener.SetMeasurementEventCallback<byte>(OnMeasurement);
        _listener.SetMeasurementEventCallback<short>(OnMeasurement);
        _listener.SetMeasurementEventCallback<int>(OnMeasurement);
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.SetMeasurementEventCallback<float>(OnMeasurement);
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.SetMeasurementEventCallback<decimal>(OnMeasurement);
        _listener.Start();
    }

    private enum Kind { Counter, UpDownCounter, Histogram, Gauge, ObservableCounter, ObservableUpDownCounter, ObservableGauge }

    public string Scrape()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteTo(writer);
        return writer.ToString();
    }

    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        // Scrapes are rare, so serialising them is cheap; it gives observable callbacks a single generation to stamp.
        lock (_scrapeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var generation = Interlocked.Increment(ref _generation);
            // The runtime still observes every other instrument when a callback throws; one faulty callback
            // must not blank the endpoint. Its series are simply not stamped and drop out below.
            try { _listener.RecordObservableInstruments(); }
            catch (AggregateException) { }

            var labelsSeen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var family in _instruments.Values.GroupBy(i => i.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var first = family.MinBy(i => i.Order)!;
                if (first.Help.Length > 0) writer.Write($"# HELP {first.Name} {first.Help}\n");
                writer.Write($"# TYPE {first.Name} {first.PromType}\n");
                labelsSeen.Clear();
                // Same-named instruments (e.g. one meter per test host) must share one family; clashing types cannot.
                foreach (var state in family.Where(i => i.PromType == first.PromType).OrderBy(i => i.Order))
                    state.WriteSeries(writer, generation, labelsSeen);
            }

            writer.Write($"# HELP {DroppedName} Measurements dropped because their instrument reached {MaxSeriesPerInstrument} series.\n"
                + $"# TYPE {DroppedName} counter\n");
            WriteSample(writer, DroppedName, "", null, Interlocked.Read(ref _dropped));
        }
    }

    public void Dispose()
    {
        lock (_scrapeLock)
        {
            if (_disposed) return;
            _disposed = true;
            _listener.Dispose();
            _instruments.Clear();
        }
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        var type = instrument.GetType();
        var meter = instrument.Meter.Name;
        if (!(_exactMeters.Contains(meter) || _meterPrefixes.Any(p => meter.StartsWith(p, StringComparison.Ordinal)))
            || !type.IsGenericType || !Kinds.TryGetValue(type.GetGenericTypeDefinition(), out var kind)
            || !NumericTypes.Contains(type.GetGenericArguments()[0])) return;

        var bounds = kind == Kind.Histogram ? AdviceBounds(instrument) ?? DefaultBounds : null;
        var state = new InstrumentState(this, instrument, kind, bounds, Interlocked.Increment(ref _order));
        _instruments[instrument] = state;
        listener.EnableMeasurementEvents(instrument, state);
    }

    private static void OnMeasurement<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        where T : struct, INumberBase<T> => (state as InstrumentState)?.Record(double.CreateSaturating(value), tags);

    private static double[]? AdviceBounds(Instrument instrument) => instrument switch
    {
        Histogram<double> h => AdviceBounds(h.Advice), Histogram<float> h => AdviceBounds(h.Advice),
        Histogram<long> h => AdviceBounds(h.Advice), Histogram<int> h => AdviceBounds(h.Advice),
        Histogram<short> h => AdviceBounds(h.Advice), Histogram<byte> h => AdviceBounds(h.Advice),
        Histogram<decimal> h => AdviceBounds(h.Advice), _ => null,
    };

    private static double[]? AdviceBounds<T>(InstrumentAdvice<T>? advice) where T : struct, INumberBase<T>
    {
        // Bucket lookup is a binary search, so bounds must be finite and strictly increasing; +Inf is implicit.
        var bounds = advice?.HistogramBucketBoundaries?.Select(double.CreateSaturating).Where(double.IsFinite).Distinct().Order().ToArray();
        return bounds is { Length: > 0 } ? bounds : null;
    }

    private static string MetricName(Instrument instrument, Kind kind)
    {
        var name = Sanitize(instrument.Name, allowColon: true, collapse: true);
        var unit = UnitSuffix(instrument.Unit, kind is Kind.Gauge or Kind.ObservableGauge);
        if (unit.Length > 0 && !name.EndsWith("_" + unit, StringComparison.Ordinal)) name += "_" + unit;
        if (kind is Kind.Counter or Kind.ObservableCounter && !name.EndsWith("_total", StringComparison.Ordinal)) name += "_total";
        return name;
    }

    private static string UnitSuffix(string? unit, bool isGauge)
    {
        if (string.IsNullOrWhiteSpace(unit)) return "";
        // Curly-brace annotations like {request} name what is counted; they are not units.
        var parts = CurlyAnnotation().Replace(unit, "").Trim().Split('/', 2);
        var num = parts[0] == "1" ? (isGauge ? "ratio" : "") : Units.GetValueOrDefault(parts[0], parts[0]);
        var den = parts.Length > 1 && parts[1].Length > 0 ? "per_" + PerUnits.GetValueOrDefault(parts[1], parts[1]) : "";
        var suffix = num.Length > 0 && den.Length > 0 ? num + "_" + den : num + den;
        return suffix.Length == 0 ? "" : Sanitize(suffix, allowColon: false, collapse: true).Trim('_');
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex CurlyAnnotation();

    private static string Sanitize(string value, bool allowColon, bool collapse)
    {
        var sb = new StringBuilder(value.Length + 1);
        if (value.Length == 0 || char.IsAsciiDigit(value[0])) sb.Append('_');
        foreach (var c in value)
        {
            var mapped = char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_';
            if (!(mapped == '_' && collapse && sb.Length > 0 && sb[^1] == '_')) sb.Append(mapped);
        }
        return sb.ToString();
    }

    private static string Escape(string value, bool quotes)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
            sb.Append(c switch { '\\' => @"\\", '\n' => @"\n", '"' when quotes => "\\\"", _ => c.ToString() });
        return sb.ToString();
    }

    private static string FormatDouble(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static void WriteSample(TextWriter writer, string name, string labels, string? le, double value)
    {
        writer.Write(name);
        if (le is not null) writer.Write(labels.Length > 0 ? $"{{{labels},le=\"{le}\"}}" : $"{{le=\"{le}\"}}");
        else if (labels.Length > 0) writer.Write($"{{{labels}}}");
        writer.Write($" {FormatDouble(value)}\n");
    }

    // Both overloads must render identically, or hot-path lookups would never match the stored keys.
    private static string FormatTagValue(object? value) => value as string ?? FormatTagValue(value, stackalloc char[64]).ToString();

    private static ReadOnlySpan<char> FormatTagValue(object? value, Span<char> buffer) => value switch
    {
        null => default,
        string s => s,
        bool b => b ? "true" : "false",
        ISpanFormattable f when f.TryFormat(buffer, out var written, default, CultureInfo.InvariantCulture) => buffer[..written],
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    // Summed per tag so the hash ignores tag order, matching sets whose tags arrive in any order.
    private static int TagHash(string? key, ReadOnlySpan<char> value) =>
        HashCode.Combine(string.GetHashCode(key.AsSpan(), StringComparison.Ordinal), string.GetHashCode(value, StringComparison.Ordinal));

    private sealed class Series(int bucketCount)
    {
        public readonly long[]? Buckets = bucketCount > 0 ? new long[bucketCount] : null;
        public double Value; // running sum, last value, or histogram sum
        public long Generation;
    }

    /// <summary>Tags sorted by key, with the Prometheus label text rendered once when the series is born.</summary>
    private sealed record TagSet(string[] Keys, string[] Values, int Hash, string Labels)
    {
        public static TagSet Create(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var pairs = new (string Key, string Value)[tags.Length];
            var hash = 0;
            for (var i = 0; i < tags.Length; i++)
            {
                pairs[i] = (tags[i].Key ?? "", FormatTagValue(tags[i].Value));
                hash = unchecked(hash + TagHash(pairs[i].Key, pairs[i].Value));
            }
            Array.Sort(pairs, (a, b) => string.CompareOrdinal(a.Key, b.Key) is var c and not 0 ? c : string.CompareOrdinal(a.Value, b.Value));

            var labels = new StringBuilder();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, value) in pairs)
            {
                var name = Sanitize(key, allowColon: false, collapse: false);
                // Keys that collide once sanitised would produce an unparsable duplicate label: first wins.
                if (key.Length == 0 || !names.Add(name)) continue;
                labels.Append(labels.Length > 0 ? "," : "").Append(name).Append("=\"").Append(Escape(value, quotes: true)).Append('"');
            }
            return new TagSet([.. pairs.Select(p => p.Key)], [.. pairs.Select(p => p.Value)], hash, labels.ToString());
        }
    }

    // Lets the hot path find a series straight from the measurement's tag span, without allocating a key.
    private sealed class TagSetComparer : IEqualityComparer<TagSet>, IAlternateEqualityComparer<ReadOnlySpan<KeyValuePair<string, object?>>, TagSet>
    {
        public static readonly TagSetComparer Instance = new();

        public bool Equals(TagSet? x, TagSet? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.Hash == y.Hash
            && x.Keys.AsSpan().SequenceEqual(y.Keys) && x.Values.AsSpan().SequenceEqual(y.Values));

        public int GetHashCode(TagSet obj) => obj.Hash;

        public int GetHashCode(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Span<char> buffer = stackalloc char[64];
            var hash = 0;
            foreach (var tag in tags) hash = unchecked(hash + TagHash(tag.Key, FormatTagValue(tag.Value, buffer)));
            return hash;
        }

        public bool Equals(ReadOnlySpan<KeyValuePair<string, object?>> tags, TagSet other)
        {
            if (tags.Length != other.Keys.Length) return false;
            Span<char> buffer = stackalloc char[64];
            foreach (var tag in tags)
            {
                var value = FormatTagValue(tag.Value, buffer);
                var i = 0;
                while (i < other.Keys.Length && !(other.Keys[i] == (tag.Key ?? "") && value.SequenceEqual(other.Values[i]))) i++;
                if (i == other.Keys.Length) return false;
            }
            return true;
        }

        public TagSet Create(ReadOnlySpan<KeyValuePair<string, object?>> tags) => TagSet.Create(tags);
    }

    private sealed class InstrumentState(PrometheusExporter owner, Instrument instrument, Kind kind, double[]? bounds, long order)
    {
        private readonly PrometheusExporter _owner = owner;
        private readonly Kind _kind = kind;
        private readonly double[] _bounds = bounds ?? [];
        private readonly string[] _leLabels = bounds is null ? [] : [.. bounds.Select(FormatDouble), "+Inf"];
        private readonly bool _observable = instrument.IsObservable;
        private readonly ConcurrentDictionary<TagSet, Series>.AlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>> _lookup =
            new ConcurrentDictionary<TagSet, Series>(TagSetComparer.Instance).GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>>();
        private int _seriesCount;

        public long Order { get; } = order;
        public string Name { get; } = MetricName(instrument, kind);
        public string Help { get; } = Escape(instrument.Description ?? "", quotes: false);
        public string PromType { get; } = kind switch { Kind.Counter or Kind.ObservableCounter => "counter", Kind.Histogram => "histogram", _ => "gauge" };

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (!_lookup.TryGetValue(tags, out var series) && (series = AddSeries(tags)) is null) return;
            switch (_kind)
            {
                case Kind.Counter or Kind.UpDownCounter:
                    AtomicAdd(ref series.Value, value);
                    break;
                case Kind.Histogram:
                    // le is inclusive, so an exact hit stays in its bucket; NaN would sort below every bound, so it goes to +Inf.
                    var index = double.IsNaN(value) ? _bounds.Length : Array.BinarySearch(_bounds, value);
                    Interlocked.Increment(ref series.Buckets![index < 0 ? ~index : index]);
                    AtomicAdd(ref series.Value, value);
                    break;
                default:
                    // Observable counters already report running totals, so every remaining kind is last-value-wins.
                    Volatile.Write(ref series.Value, value);
                    Volatile.Write(ref series.Generation, Volatile.Read(ref _owner._generation));
                    break;
            }
        }

        public void WriteSeries(TextWriter writer, long generation, HashSet<string> labelsSeen)
        {
            foreach (var (tags, series) in _lookup.Dictionary.OrderBy(p => p.Key.Labels, StringComparer.Ordinal))
            {
                // An observable series missing from this collection is gone (e.g. a removed pool); free its slot.
                if (_observable && Volatile.Read(ref series.Generation) != generation)
                {
                    if (_lookup.Dictionary.TryRemove(tags, out var _)) Interlocked.Decrement(ref _seriesCount);
                    continue;
                }
                if (!labelsSeen.Add(tags.Labels)) continue;
                if (series.Buckets is null)
                {
                    WriteSample(writer, Name, tags.Labels, null, Volatile.Read(ref series.Value));
                    continue;
                }

                // _count comes from the same bucket snapshot, so it always equals the +Inf bucket.
                long cumulative = 0;
                for (var i = 0; i < series.Buckets.Length; i++)
                    WriteSample(writer, Name + "_bucket", tags.Labels, _leLabels[i], cumulative += Volatile.Read(ref series.Buckets[i]));
                WriteSample(writer, Name + "_sum", tags.Labels, null, Volatile.Read(ref series.Value));
                WriteSample(writer, Name + "_count", tags.Labels, null, cumulative);
            }
        }

        private Series? AddSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            // Racing writers can overshoot the limit slightly; it only needs to bound memory, not be exact.
            if (Volatile.Read(ref _seriesCount) >= MaxSeriesPerInstrument)
            {
                Interlocked.Increment(ref _owner._dropped);
                return null;
            }
            var created = new Series(_kind == Kind.Histogram ? _bounds.Length + 1 : 0);
            var actual = _lookup.Dictionary.GetOrAdd(TagSet.Create(tags), created);
            if (ReferenceEquals(actual, created)) Interlocked.Increment(ref _seriesCount);
            return actual;
        }

        private static void AtomicAdd(ref double target, double value)
        {
            for (var current = Volatile.Read(ref target); ;)
            {
                var seen = Interlocked.CompareExchange(ref target, current + value, current);
                // Compare bits, not values: once the sum is NaN, NaN != NaN would spin forever.
                if (BitConverter.DoubleToInt64Bits(seen) == BitConverter.DoubleToInt64Bits(current)) return;
                current = seen;
            }
        }
    }
}
