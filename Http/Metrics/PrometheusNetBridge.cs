using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using OrleansJobs.Diagnostics;
using Prometheus;

namespace OrleansJobs.Http.Metrics;

/// <summary>
/// Publishes the grid's meter into prometheus-net's registry under the names and types an
/// OpenTelemetry Prometheus exporter gives it (counters as <c>…_total</c> counters, seconds as
/// <c>…_seconds</c>, histograms with the instruments' advised buckets). prometheus-net's own meter
/// adapter exports counters as untyped gauges named after the meter, which dashboards written for
/// OpenTelemetry would not find. Observable gauges are read just before each scrape; a queue whose
/// owner no longer reports it disappears from the next scrape instead of keeping its last value.
/// </summary>
internal sealed class PrometheusNetBridge : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly IMetricFactory _factory;
    private readonly ConcurrentDictionary<Instrument, Series> _byInstrument = new();

    // Every silo host in a process has its own meter of the same name: their instruments share one series.
    private readonly ConcurrentDictionary<string, Series> _byName = new();

    public PrometheusNetBridge(CollectorRegistry registry)
    {
        _factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == JobsMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
        registry.AddBeforeCollectCallback(ReadGauges);
    }

    private void ReadGauges()
    {
        foreach (var series in _byName.Values)
        {
            series.BeginObservation();
        }

        _listener.RecordObservableInstruments();
        foreach (var series in _byName.Values)
        {
            series.EndObservation();
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labelValues = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            labelValues[i] = tags[i].Value?.ToString() ?? "";
        }

        if (!_byInstrument.TryGetValue(instrument, out var series))
        {
            // Label names are declared once, from the instrument's first measurement.
            var labelNames = new string[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                labelNames[i] = tags[i].Key;
            }

            series = _byInstrument.GetOrAdd(instrument, _byName.GetOrAdd(PrometheusNames.Of(instrument), _ => Series.Create(instrument, _factory, labelNames)));
        }

        series.Record(value, labelValues);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>One instrument's prometheus-net metric.</summary>
    private abstract class Series
    {
        public static Series Create(Instrument instrument, IMetricFactory factory, string[] labelNames)
        {
            var name = PrometheusNames.Of(instrument);
            var help = instrument.Description ?? name;
            if (PrometheusNames.IsCounter(instrument))
            {
                return new CounterSeries(factory.CreateCounter(name, help, labelNames));
            }

            if (instrument is Histogram<double> or Histogram<long>)
            {
                var buckets = (instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries?.ToArray()
                    ?? (instrument as Histogram<long>)?.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray();
                return new HistogramSeries(factory.CreateHistogram(name, help, new HistogramConfiguration { LabelNames = labelNames, Buckets = buckets }));
            }

            return new GaugeSeries(factory.CreateGauge(name, help, labelNames));
        }

        public abstract void Record(double value, string[] labelValues);

        public virtual void BeginObservation()
        {
        }

        public virtual void EndObservation()
        {
        }
    }

    private sealed class CounterSeries(Counter counter) : Series
    {
        public override void Record(double value, string[] labelValues) => counter.WithLabels(labelValues).Inc(value);
    }

    private sealed class HistogramSeries(Histogram histogram) : Series
    {
        public override void Record(double value, string[] labelValues) => histogram.WithLabels(labelValues).Observe(value);
    }

    private sealed class GaugeSeries(Gauge gauge) : Series
    {
        private readonly Lock _gate = new();
        private HashSet<string[]> _previous = new(LabelValuesComparer.Instance);
        private HashSet<string[]> _current = new(LabelValuesComparer.Instance);

        public override void Record(double value, string[] labelValues)
        {
            lock (_gate)
            {
                _current.Add(labelValues);
            }

            gauge.WithLabels(labelValues).Set(value);
        }

        public override void BeginObservation()
        {
            lock (_gate)
            {
                _current.Clear();
            }
        }

        public override void EndObservation()
        {
            lock (_gate)
            {
                foreach (var gone in _previous.Where(labels => !_current.Contains(labels)))
                {
                    gauge.RemoveLabelled(gone);
                }

                (_previous, _current) = (_current, _previous);
            }
        }
    }

    private sealed class LabelValuesComparer : IEqualityComparer<string[]>
    {
        public static readonly LabelValuesComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(string[] values)
        {
            var hash = new HashCode();
            foreach (var value in values)
            {
                hash.Add(value);
            }

            return hash.ToHashCode();
        }
    }
}
