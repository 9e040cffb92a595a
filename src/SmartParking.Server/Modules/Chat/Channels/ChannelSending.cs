using Polly;
using Polly.Retry;

namespace SmartParking.Server.Modules.Chat.Channels;

/// <summary>A reply the provider could not take now (5xx, 429, no connection): worth another try, after <see cref="RetryAfter"/> when it said.</summary>
public sealed class TransientSendException(string message, TimeSpan? retryAfter = null, Exception? inner = null) : Exception(message, inner)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>A reply the provider refused for good (4xx: the user blocked the bot, a bad number): never retried.</summary>
public sealed class PermanentSendException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Sends one reply with retries of transient failures (doubling, jittered delays; the provider's "retry after" when it
/// gives one and it is short enough). The caller answers its webhook whatever happens, so a failure ends as a log line.
/// </summary>
public sealed class ChannelSender
{
    private readonly ResiliencePipeline _pipeline;
    private readonly string _channel;
    private readonly ILogger _logger;

    public ChannelSender(string channel, ChannelSendOptions options, TimeProvider time, ILogger logger)
    {
        _channel = channel;
        _logger = logger;
        var maxRetryAfter = TimeSpan.FromSeconds(options.MaxRetryAfterSeconds);
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxRetries > 0)
            builder.AddRetry(new RetryStrategyOptions
            {
                // A "retry after" longer than we are willing to hold the webhook open for is a failure now.
                ShouldHandle = new PredicateBuilder().Handle<TransientSendException>(e => e.RetryAfter is not { } wait || wait <= maxRetryAfter),
                MaxRetryAttempts = options.MaxRetries,
                Delay = TimeSpan.FromMilliseconds(options.RetryBaseMilliseconds),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is TransientSendException { RetryAfter: { } wait } ? wait : (TimeSpan?)null),
                OnRetry = args =>
                {
                    logger.LogInformation("{Channel} reply attempt {Attempt} failed ({Error}); retrying in {Delay} ms",
                        channel, args.AttemptNumber + 1, args.Outcome.Exception?.Message, (int)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        _pipeline = builder.Build();
    }

    /// <summary>True when the provider took the reply.</summary>
    public async Task<bool> SendAsync(string what, Func<CancellationToken, Task> send, CancellationToken ct)
    {
        try
        {
            await _pipeline.ExecuteAsync(async token => await send(token), ct);
            return true;
        }
        catch (TransientSendException e)
        {
            _logger.LogWarning("{Channel} did not take a {What} after retries: {Error}", _channel, what, e.Message);
        }
        catch (PermanentSendException e)
        {
            _logger.LogWarning("{Channel} refused a {What}: {Error}", _channel, what, e.Message);
        }
        return false;
    }
}

/// <summary>A provider the platform can write to first (an operator's answer), not only reply through.</summary>
public interface IOutboundChannel
{
    /// <summary>The <see cref="ChatChannels"/> name.</summary>
    string Channel { get; }

    /// <summary>True when the provider took the message; false when it is not configured, refused it, or stayed unreachable.</summary>
    Task<bool> SendAsync(string recipient, string? replyVia, ChatReply message, CancellationToken ct);
}
