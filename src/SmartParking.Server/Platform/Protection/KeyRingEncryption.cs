using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace SmartParking.Server.Platform.Protection;

/// <summary>
/// Seals the secret parts of ASP.NET Core's data-protection keys (stored in data_protection_keys) with the field keys, so
/// the key ring that protects cookies and antiforgery tokens is no longer kept in clear text in the database.
/// </summary>
public sealed class KeyRingEncryptor(FieldProtector protector) : IXmlEncryptor
{
    public static readonly FieldScope Scope = new("data_protection_keys", "xml");
    public const string ElementName = "sealedSecret";
    public const string VersionAttribute = "keyVersion";

    // How data protection marks a secret to encrypt, and wraps what an encryptor returns (its XmlConstants).
    private static readonly XNamespace DataProtection = "http://schemas.asp.net/2015/03/dataProtection";
    private static readonly XName RequiresEncryption = DataProtection + "requiresEncryption";
    private static readonly XName EncryptedSecret = DataProtection + "encryptedSecret";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement) => new(Seal(protector, plaintextElement), typeof(KeyRingDecryptor));

    public static XElement Seal(FieldProtector protector, XElement plaintextElement)
    {
        var sealedValue = protector.SealBytes(Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)), Scope);
        // The version is repeated as an attribute so the rotation sweep finds elements under old keys without opening them.
        return new XElement(ElementName, new XAttribute(VersionAttribute, sealedValue[0]), Convert.ToBase64String(sealedValue));
    }

    public static XElement Open(FieldProtector protector, XElement encryptedElement) =>
        XElement.Parse(Encoding.UTF8.GetString(protector.OpenBytes(Convert.FromBase64String(encryptedElement.Value), Scope)));

    /// <summary>
    /// Seals, in a stored key, a secret still in clear (a key stored before the ring was encrypted) as data protection
    /// itself would have stored it, and re-seals one under an older key version; whether anything changed. The key
    /// material is the same, so what the key protected still opens.
    /// </summary>
    public static bool Reseal(FieldProtector protector, XElement key)
    {
        var clear = key.Descendants().Where(e => (bool?)e.Attribute(RequiresEncryption) == true).ToList();
        var stale = key.Descendants(ElementName).Where(s => (int?)s.Attribute(VersionAttribute) != protector.ActiveVersion).ToList();
        foreach (var secret in clear)
            secret.ReplaceWith(new XElement(EncryptedSecret, new XAttribute("decryptorType", typeof(KeyRingDecryptor).AssemblyQualifiedName!), Seal(protector, secret)));
        foreach (var secret in stale) secret.ReplaceWith(Seal(protector, Open(protector, secret)));
        return clear.Count + stale.Count > 0;
    }
}

/// <summary>Opens what <see cref="KeyRingEncryptor"/> sealed; data protection creates it by type name with the service provider.</summary>
public sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) => KeyRingEncryptor.Open(services.GetRequiredService<FieldProtector>(), encryptedElement);
}
