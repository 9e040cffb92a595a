using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Platform.Protection;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Protection;

/// <summary>
/// Data-protection keys stored before the key ring was encrypted (their secret in clear) are sealed in place by the
/// sweep: what they protected (sign-in cookies, antiforgery and link tokens) still opens, also on the next node to read
/// the ring from the database.
/// </summary>
public sealed class KeyRingSealingTests : IAsyncLifetime
{
    private static readonly XName EncryptedSecret = XName.Get("encryptedSecret", "http://schemas.asp.net/2015/03/dataProtection");
    private readonly ApiFactory _first = new();

    public Task InitializeAsync() => _first.InitializeAsync();

    public Task DisposeAsync() => ((IAsyncLifetime)_first).DisposeAsync();

    private static IDataProtector Protector(ApiFactory node) => node.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("key-ring-test");

    [Fact]
    public async Task KeyStoredInClearBeforeEncryption_SealedByTheSweep_WhatItProtectedStillOpensOnTheNextNode()
    {
        // Made under the ring's first key.
        var token = Protector(_first).Protect("still readable");
        var fields = _first.Services.GetRequiredService<FieldProtector>();
        var (name, xml) = (await _first.ColumnAsync("select name || '|' || xml from data_protection_keys")).Select(r => (r[..r.IndexOf('|')], r[(r.IndexOf('|') + 1)..]))
            .ShouldHaveSingleItem();
        // As data protection stored the key before its ring was encrypted: the secret (masterKey) in clear.
        var key = XElement.Parse(xml);
        foreach (var secret in key.Descendants(EncryptedSecret).ToList())
            secret.ReplaceWith(KeyRingEncryptor.Open(fields, secret.Element(KeyRingEncryptor.ElementName)!));
        await _first.ExecuteAsync("update data_protection_keys set xml = $2 where name = $1", name, key.ToString(SaveOptions.DisableFormatting));
        (await _first.ScalarAsync<string>("select xml from data_protection_keys")).ShouldContain("<masterKey");

        _first.Services.GetRequiredService<ProtectionSweep>().Wake();
        var sealedXml = await Poll.UntilAsync(() => _first.ScalarAsync<string>("select xml from data_protection_keys"), x => !x.Contains("<masterKey"),
            IngestKit.Eventually, "the sweep to seal the key's secret");

        sealedXml.ShouldContain($"<{KeyRingEncryptor.ElementName} {KeyRingEncryptor.VersionAttribute}=\"1\"");
        (await _first.ScalarAsync<long>("select count(*) from data_protection_keys")).ShouldBe(1, "the same key, sealed: no new one");
        await _first.DisposeAsync();
        var next = new SecondNodeFactory(_first.Database);
        try
        {
            await next.InitializeAsync();
            Protector(next).Unprotect(token).ShouldBe("still readable");
        }
        finally
        {
            await ((IAsyncLifetime)next).DisposeAsync();
        }
    }
}
