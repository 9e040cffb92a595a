using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace SmartParking.Tests.Operations;

/// <summary>
/// Reads one test server's own observable gauges. /metrics is process-wide, and with several test servers in the
/// process it shows the first of the same-named gauges; the server's IMeterFactory tells its own apart.
/// </summary>
internal static class OwnGauges
{
    /// <summary>The gauge's current measurements, by the value of <paramref name="tag"/> ("" without it).</summary>
    public static IReadOnlyDictionary<string, double> Read(IServiceProvider services, string name, string tag = "")
    {
        var scope = services.GetRequiredService<IMeterFactory>();
        var values = new Dictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == name && ReferenceEquals(instrument.Meter.Scope, scope)) l.EnableMeasurementEvents(instrument);
            },
        };
        void Record(ReadOnlySpan<KeyValuePair<string, object?>> tags, double value)
        {
            var key = "";
            foreach (var t in tags) if (t.Key == tag) key = t.Value?.ToString() ?? "";
            values[key] = value;
        }
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Record(tags, value));
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Record(tags, value));
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
