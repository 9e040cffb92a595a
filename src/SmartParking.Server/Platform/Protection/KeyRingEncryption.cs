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

    public EncryptedXmlInfo Encrypt(XElement plaintextElement) => new(Seal(protector, plaintextElement), typeof(KeyRingDecryptor));

    public static XElement Seal(FieldProtector protector, XElement plaintextElement)
    {
        var sealedValue = protector.SealBytes(Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)), Scope);
        // The version is repeated as an attribute so the rotation sweep finds elements under old keys without opening them.
        return new XElement(ElementName, new XAttribute(VersionAttribute, sealedValue[0]), Convert.ToBase64String(sealedValue));
    }

    public static XElement Open(FieldProtector protector, XElement encryptedElement) =>
        XElement.Parse(Encoding.UTF8.GetString(protector.OpenBytes(Convert.FromBase64String(encryptedElement.Value), Scope)));
}

/// <summary>Opens what <see cref="KeyRingEncryptor"/> sealed; data protection creates it by type name with the service provider.</summary>
public sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) => KeyRingEncryptor.Open(services.GetRequiredService<FieldProtector>(), encryptedElement);
}
