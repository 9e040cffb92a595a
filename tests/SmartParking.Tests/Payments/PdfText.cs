using System.Diagnostics;

namespace SmartParking.Tests.Payments;

/// <summary>
/// Reads PDFs the way a person's viewer would, with poppler's pdftotext and pdfinfo (Debian's poppler-utils, which
/// test.sh installs): PDFsharp embeds subset fonts and writes glyph ids, so the text is not in the file as text.
/// </summary>
public static class PdfText
{
    /// <summary>The text of every page in reading order, pages separated by form feeds.</summary>
    public static string Extract(byte[] pdf) => Run("pdftotext", ["-layout", "-enc", "UTF-8", "-", "-"], pdf);

    public static int Pages(byte[] pdf)
    {
        var line = Run("pdfinfo", ["-"], pdf).Split('\n').Single(l => l.StartsWith("Pages:", StringComparison.Ordinal));
        return int.Parse(line["Pages:".Length..].Trim());
    }

    /// <summary>A PDF header and a file poppler opens without complaint.</summary>
    public static void ShouldBeWellFormed(byte[] pdf)
    {
        System.Text.Encoding.ASCII.GetString(pdf, 0, 7).ShouldStartWith("%PDF-1.");
        Pages(pdf).ShouldBeGreaterThan(0);
    }

    private static string Run(string tool, string[] arguments, byte[] pdf)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start; install poppler-utils.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(pdf);
        process.StandardInput.Close();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0, $"{tool} could not read the PDF: {errors.Result}");
        return output.Result;
    }
}
