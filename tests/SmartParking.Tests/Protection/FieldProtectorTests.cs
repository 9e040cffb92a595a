using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using SmartParking.Server.Platform.Hosting;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Tests.Protection;

public sealed class FieldProtectorTests
{
    private static readonly FieldScope Plates = new("reservations", "plate");
    private static readonly byte[] Key1 = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Key2 = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] IndexKey = RandomNumberGenerator.GetBytes(32);

    private static FieldProtector Protector(byte active, params (byte Version, byte[] Key)[] keys) =>
        new(ProtectionKeys.Create(keys.ToDictionary(k => k.Version, k => k.Key), active, IndexKey));

    private static readonly FieldProtector Version1 = Protector(1, (1, Key1));

    [Fact]
    public void Seal_Opens_ToTheSameText_AndHoldsNoClearText()
    {
        var sealedValue = Version1.Seal("AB12345", Plates);

        Version1.Open(sealedValue, Plates).ShouldBe("AB12345");
        sealedValue[0].ShouldBe((byte)1);
        Encoding.UTF8.GetString(sealedValue).ShouldNotContain("AB12345");
        // A fresh nonce each time: equal plates do not give equal ciphertexts.
        Version1.Seal("AB12345", Plates).ShouldNotBe(sealedValue);
    }

    [Fact]
    public void SealAndOpen_OnManyThreadsAtOnce_EachValueOpensToItsOwnText_AndATamperedOneStillRefuses()
    {
        // Ciphers are kept between calls and shared out: one in use by two threads would mix their values.
        var both = Protector(2, (1, Key1), (2, Key2));
        var olderKey = Protector(1, (1, Key1)).Seal("sealed under key 1", Plates);
        Parallel.For(0, 4_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var text = $"plate {i} " + new string('x', i % 97);
            both.Open(both.Seal(text, Plates), Plates).ShouldBe(text);
            both.Open(olderKey, Plates).ShouldBe("sealed under key 1");
            var tampered = both.Seal(text, Plates);
            tampered[^1] ^= 0x01;
            Should.Throw<FieldProtectionException>(() => both.Open(tampered, Plates));
        });
    }

    [Fact]
    public void Open_TamperedCiphertext_Refuses()
    {
        var sealedValue = Version1.Seal("AB12345", Plates);
        sealedValue[15] ^= 0x01;

        Should.Throw<FieldProtectionException>(() => Version1.Open(sealedValue, Plates)).Message.ShouldContain("reservations.plate");
    }

    [Fact]
    public void Open_InAnotherColumn_Refuses()
    {
        var sealedValue = Version1.Seal("AB12345", Plates);

        Should.Throw<FieldProtectionException>(() => Version1.Open(sealedValue, new FieldScope("meter_sessions", "plate")));
    }

    [Fact]
    public void Open_RelabelledVersion_Refuses()
    {
        var both = Protector(1, (1, Key1), (2, Key1));
        var sealedValue = both.Seal("AB12345", Plates);
        sealedValue[0] = 2; // the same key under another version number: the version is bound too

        Should.Throw<FieldProtectionException>(() => both.Open(sealedValue, Plates));
    }

    [Fact]
    public void Open_UnknownVersion_NamesTheMissingKey()
    {
        var sealedValue = Protector(2, (2, Key2)).Seal("AB12345", Plates);

        Should.Throw<FieldProtectionException>(() => Version1.Open(sealedValue, Plates)).Message.ShouldContain("Protection:Keys:2");
    }

    [Fact]
    public void Rotation_OldValuesStillOpen_AndResealUnderTheNewVersion()
    {
        var old = Version1.Seal("someone@example.com", Plates);
        var rotated = Protector(2, (1, Key1), (2, Key2));

        old[0].ShouldBe((byte)1);
        rotated.Open(old, Plates).ShouldBe("someone@example.com");
        var resealed = rotated.SealBytes(rotated.OpenBytes(old, Plates), Plates);
        resealed[0].ShouldBe((byte)2);
        Protector(2, (2, Key2)).Open(resealed, Plates).ShouldBe("someone@example.com");
    }

    [Fact]
    public void BlindIndex_IsStableAcrossKeyVersions_AndDiffersPerColumn()
    {
        var rotated = Protector(2, (1, Key1), (2, Key2));

        rotated.BlindIndex("AB12345", Plates).ShouldBe(Version1.BlindIndex("AB12345", Plates));
        Version1.BlindIndex("AB12345", Plates).ShouldNotBe(Version1.BlindIndex("AB12346", Plates));
        Version1.BlindIndex("AB12345", Plates).ShouldNotBe(Version1.BlindIndex("AB12345", new FieldScope("meter_sessions", "plate")));
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void Development_WithoutKeys_GeneratesAKeyFileReadableByItsOwnerOnly_AndReusesIt()
    {
        var directory = Directory.CreateTempSubdirectory("sp-keys-").FullName;
        try
        {
            var development = new HostingEnvironment { EnvironmentName = Environments.Development };
            var first = new FieldProtector(ProtectionKeys.Load(new ProtectionOptions(), development, directory));
            var sealedValue = first.Seal("AB12345", Plates);
            var again = new FieldProtector(ProtectionKeys.Load(new ProtectionOptions(), development, directory));

            again.Open(sealedValue, Plates).ShouldBe("AB12345");
            again.BlindIndex("AB12345", Plates).ShouldBe(first.BlindIndex("AB12345", Plates));
            File.GetUnixFileMode(Path.Combine(directory, "protection-keys.json")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Should.Throw<StartupFailure>(() => ProtectionKeys.Load(new ProtectionOptions(), new HostingEnvironment { EnvironmentName = Environments.Production }, directory))
                .Message.ShouldContain("Protection:Keys is not set");
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    [Theory]
    [InlineData("1", "not-base64!", "1", "Protection:Keys:1 is not valid base64")]
    [InlineData("1", "c2hvcnQ=", "1", "Protection:Keys:1 is 5 bytes")]
    [InlineData("1", null, "2", "Protection:ActiveKey '2' is not a configured key version")]
    [InlineData("0", null, "0", "Protection:Keys:0: a key version must be a whole number from 1 to 255")]
    public void Keys_Wrong_StopStartUpNamingTheSetting(string version, string? key, string active, string expected)
    {
        var options = new ProtectionOptions
        {
            Keys = new() { [version] = key ?? Convert.ToBase64String(Key1) }, ActiveKey = active, IndexKey = Convert.ToBase64String(IndexKey),
        };

        Should.Throw<StartupFailure>(() => ProtectionKeys.FromOptions(options)).Message.ShouldContain(expected);
    }
}
