using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>The test helper must agree with RFC 6238, or every TOTP test would test the helper instead of the server.</summary>
public sealed class TotpGeneratorTests
{
    // RFC 6238 appendix B, SHA-1 key "12345678901234567890"; the RFC prints 8 digits, apps use the last 6.
    [Theory]
    [InlineData(59, "287082")]
    [InlineData(1111111109, "081804")]
    [InlineData(1111111111, "050471")]
    [InlineData(1234567890, "005924")]
    [InlineData(2000000000, "279037")]
    public void Code_Rfc6238Vector_MatchesPublishedValue(long unixSeconds, string expected)
    {
        var key = "12345678901234567890"u8.ToArray();
        TotpGenerator.Code(key, unixSeconds / 30).ShouldBe(expected);
    }

    [Fact]
    public void Base32Decode_LowerCaseUnpaddedOrSpaced_DecodesSameBytes()
    {
        // "12345678901234567890" in base32.
        const string key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        var expected = "12345678901234567890"u8.ToArray();
        TotpGenerator.Base32Decode(key).ShouldBe(expected);
        TotpGenerator.Base32Decode(key.ToLowerInvariant()).ShouldBe(expected);
        TotpGenerator.Base32Decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").ShouldBe(expected);
    }

    [Fact]
    public void Next_SameKey_HandsOutNowThenNowPlusOneThenRefusesInsteadOfWaiting()
    {
        var clock = new StoppedClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_015));
        const string key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        var step = TotpGenerator.Step(clock.GetUtcNow());

        TotpGenerator.Next(key, clock).ShouldBe(TotpGenerator.Code(TotpGenerator.Base32Decode(key), step));
        TotpGenerator.Next(key, clock).ShouldBe(TotpGenerator.Code(TotpGenerator.Base32Decode(key), step + 1));
        Should.Throw<InvalidOperationException>(() => TotpGenerator.Next(key, clock));

        // Once the clock reaches the next step, the step after it is free.
        clock.Advance(TimeSpan.FromSeconds(TotpGenerator.StepSeconds));
        TotpGenerator.Next(key, clock).ShouldBe(TotpGenerator.Code(TotpGenerator.Base32Decode(key), step + 2));
    }
}
