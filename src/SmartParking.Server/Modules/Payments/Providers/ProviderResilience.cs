using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace SmartParking.Server.Modules.Payments.Providers;

/// <summary>
/// One Polly pipeline per external provider: retry (exponential, jittered, transient failures only) around a circuit
/// breaker around a per-attempt timeout. An open breaker fails fast with <see cref="BrokenCircuitException"/>, which the
/// router takes as "fail over now"; after the break a single probe is let through and closes it again on success.
/// </summary>
public sealed class ProviderResilience : IPaymentProviderHealth
{
    private readonly Dictionary<string, (ResiliencePipeline Pipeline, CircuitBreakerStateProvider? State)> _pipelines = new(StringComparer.Ordinal);

    public ProviderResilience(IOptions<PaymentsOptions> options, TimeProvider time, ILogger<ProviderResilience> logger)
    {
        foreach (var provider in new[] { ProviderNames.Stripe, ProviderNames.PayPal })
        {
            var state = new CircuitBreakerStateProvider();
            _pipelines[provider] = (Build(provider, options.Value.Resilience, state, time, logger), state);
        }
        // In-process: nothing to time out or break.
        _pipelines[ProviderNames.Sandbox] = (ResiliencePipeline.Empty, null);
    }

    public ResiliencePipeline For(string provider) => _pipelines[provider].Pipeline;

    /// <summary>Closed when the provider has no breaker.</summary>
    public CircuitState StateOf(string provider) => _pipelines[provider].State?.CircuitState ?? CircuitState.Closed;

    public IReadOnlyList<string> OpenCircuits() =>
        _pipelines.Where(p => p.Value.State?.CircuitState is CircuitState.Open or CircuitState.Isolated).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>What a failed attempt means: only these are retried, counted by the breaker, and failed over.</summary>
    public static bool IsTransient(Exception e) => e is TransientProviderException or TimeoutRejectedException or BrokenCircuitException;

    private static ResiliencePipeline Build(string provider, ResilienceOptions o, CircuitBreakerStateProvider state, TimeProvider time, ILogger logger)
    {
        var transient = new PredicateBuilder().Handle<TransientProviderException>().Handle<TimeoutRejectedException>();
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (o.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = o.MaxRetryAttempts,
                Delay = TimeSpan.FromMilliseconds(o.RetryBaseDelayMilliseconds),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    logger.LogWarning("{Provider} attempt {Attempt} failed ({Error}); retrying in {Delay} ms",
                        provider, args.AttemptNumber + 1, args.Outcome.Exception?.Message, (int)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = transient,
            FailureRatio = o.BreakerFailureRatio,
            MinimumThroughput = o.BreakerMinimumThroughput,
            SamplingDuration = TimeSpan.FromMilliseconds(o.BreakerSamplingMilliseconds),
            BreakDuration = TimeSpan.FromMilliseconds(o.BreakerBreakMilliseconds),
            StateProvider = state,
            OnOpened = args => { logger.LogWarning("{Provider} circuit opened for {Break} ms", provider, (int)args.BreakDuration.TotalMilliseconds); return default; },
            OnHalfOpened = _ => { logger.LogInformation("{Provider} circuit half-open: probing", provider); return default; },
            OnClosed = _ => { logger.LogInformation("{Provider} circuit closed", provider); return default; },
        });
        builder.AddTimeout(TimeSpan.FromMilliseconds(o.TimeoutMilliseconds));
        return builder.Build();
    }
}
