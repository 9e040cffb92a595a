using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Tests.Platform;

/// <summary>The global request limit: a fixed window of permits per key, taken without a lock.</summary>
public sealed class KeyedFixedWindowLimiterTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>A clock whose timestamps move only when the test moves them.</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    /// <summary>Each request's key is its "client" header; without one it is not limited.</summary>
    private static KeyedFixedWindowLimiter Limiter(int permits, TimeProvider time) => new(Window, http =>
        http.Request.Headers["client"].ToString() is { Length: > 0 } client ? new KeyedFixedWindowLimiter.Partition(client, permits) : KeyedFixedWindowLimiter.Partition.NotLimited, time);

    private static HttpContext From(string? client)
    {
        var http = new DefaultHttpContext();
        if (client is not null) http.Request.Headers["client"] = client;
        return http;
    }

    [Fact]
    public void PermitsRunOut_ForThatClientOnly_WithTheWaitUntilItsWindowEnds()
    {
        using var limiter = Limiter(3, new SteppedClock());

        Enumerable.Range(0, 3).Select(_ => limiter.AttemptAcquire(From("a")).IsAcquired).ShouldAllBe(acquired => acquired);
        using var refused = limiter.AttemptAcquire(From("a"));

        refused.IsAcquired.ShouldBeFalse();
        refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter).ShouldBeTrue();
        retryAfter.ShouldBeGreaterThan(TimeSpan.Zero);
        retryAfter.ShouldBeLessThanOrEqualTo(Window);
        limiter.AttemptAcquire(From("b")).IsAcquired.ShouldBeTrue();
        Enumerable.Range(0, 10).ShouldAllBe(_ => limiter.AttemptAcquire(From(null)).IsAcquired);
    }

    [Fact]
    public void OnceTheWaitIsOver_ThePermitsAreThereAgain()
    {
        var clock = new SteppedClock();
        using var limiter = Limiter(2, clock);
        limiter.AttemptAcquire(From("a"));
        limiter.AttemptAcquire(From("a"));
        using var refused = limiter.AttemptAcquire(From("a"));
        refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter).ShouldBeTrue();

        clock.Advance(retryAfter - TimeSpan.FromTicks(1));
        limiter.AttemptAcquire(From("a")).IsAcquired.ShouldBeFalse();
        clock.Advance(TimeSpan.FromTicks(1));

        limiter.AttemptAcquire(From("a")).IsAcquired.ShouldBeTrue();
        limiter.AttemptAcquire(From("a")).IsAcquired.ShouldBeTrue();
        limiter.AttemptAcquire(From("a")).IsAcquired.ShouldBeFalse();
    }

    [Fact]
    public void AskingForNone_TellsWhetherAnyAreLeft_WithoutTakingOne()
    {
        using var limiter = Limiter(1, new SteppedClock());

        limiter.AttemptAcquire(From("a"), 0).IsAcquired.ShouldBeTrue();
        limiter.AttemptAcquire(From("a")).IsAcquired.ShouldBeTrue();
        limiter.AttemptAcquire(From("a"), 0).IsAcquired.ShouldBeFalse();
    }

    [Fact]
    public async Task ManyRequestsAtOnce_OnOneKey_NoMoreGrantedThanThePermits()
    {
        const int permits = 5_000;
        using var limiter = Limiter(permits, new SteppedClock());
        var granted = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 2_000; i++)
                if (limiter.AttemptAcquire(From("shared")).IsAcquired) Interlocked.Increment(ref granted);
        })));

        granted.ShouldBe(permits);
    }

    [Fact]
    public void KeysSilentForAWholeWindow_AreForgotten_ActiveOnesKeepTheirCount()
    {
        var clock = new SteppedClock();
        using var limiter = Limiter(2, clock);
        limiter.AttemptAcquire(From("quiet"));
        limiter.AttemptAcquire(From("busy"));
        limiter.AttemptAcquire(From("busy"));

        clock.Advance(Window * 2.5);
        limiter.AttemptAcquire(From("busy"));
        limiter.DropSilent();

        limiter.Keys.ShouldBe(1);
        limiter.AttemptAcquire(From("busy")).IsAcquired.ShouldBeTrue();
        limiter.AttemptAcquire(From("busy")).IsAcquired.ShouldBeFalse();
    }
}
