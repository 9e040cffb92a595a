using System.Reflection;
using PdfSharp.Fonts;

namespace SmartParking.Server.Platform.Exports;

/// <summary>
/// PDFsharp's fonts: DejaVu Sans (regular and bold), shipped inside the server (Fonts/, with its licence), so a PDF
/// looks the same on a laptop, a bare container or a server without any installed fonts. Every family asked for gets
/// DejaVu Sans; italics are drawn slanted by PDFsharp.
/// </summary>
public sealed class PdfFonts : IFontResolver
{
    public const string Family = "DejaVu Sans";
    private const string Regular = "DejaVuSans", Bold = "DejaVuSans-Bold";

    private static readonly Lazy<bool> Installed = new(() =>
    {
        GlobalFontSettings.FontResolver = new PdfFonts();
        return true;
    });

    /// <summary>Installs the resolver once per process; call before drawing any text.</summary>
    public static void EnsureInstalled() => _ = Installed.Value;

    public FontResolverInfo ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? Bold : Regular, mustSimulateBold: false, mustSimulateItalic: italic);

    public byte[] GetFont(string faceName)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Fonts/{faceName}.ttf")
            ?? throw new InvalidOperationException($"The font {faceName} is not embedded in the server.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
