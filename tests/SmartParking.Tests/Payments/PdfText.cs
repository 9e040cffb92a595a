using System.Text;
using System.Text.RegularExpressions;

namespace SmartParking.Tests.Payments;

/// <summary>
/// Just enough PDF text extraction for receipts: the string operands of Tj/TJ in uncompressed content streams, literal
/// "(…)" or hex "&lt;…&gt;", read as single-byte (WinAnsi) text. One line per text operator.
/// </summary>
public static partial class PdfText
{
    public static string Extract(byte[] pdf)
    {
        var raw = Encoding.Latin1.GetString(pdf);
        var lines = new List<string>();
        foreach (Match op in TextOperator().Matches(raw))
        {
            var line = new StringBuilder();
            foreach (Match s in StringOperand().Matches(op.Groups["operands"].Value))
                line.Append(s.Groups["hex"].Success ? FromHex(s.Groups["hex"].Value) : Unescape(s.Groups["lit"].Value));
            lines.Add(line.ToString());
        }
        return string.Join('\n', lines);
    }

    /// <summary>
    /// Checks what a reader relies on to open the file: startxref points at the xref table, every in-use entry points at
    /// "N 0 obj", and every stream's /Length is its byte count.
    /// </summary>
    public static void ShouldBeWellFormed(byte[] pdf)
    {
        var raw = Encoding.Latin1.GetString(pdf);
        raw.ShouldStartWith("%PDF-1.");
        raw.TrimEnd().ShouldEndWith("%%EOF");
        var startxref = long.Parse(StartXref().Match(raw).Groups[1].Value);
        raw[(int)startxref..].ShouldStartWith("xref");
        var entries = XrefEntry().Matches(raw[(int)startxref..]).Skip(1).ToList();
        entries.ShouldNotBeEmpty();
        for (var i = 0; i < entries.Count; i++)
            raw[int.Parse(entries[i].Groups[1].Value)..].ShouldStartWith($"{i + 1} 0 obj");
        foreach (Match stream in Stream().Matches(raw))
            stream.Groups["body"].Length.ShouldBe(int.Parse(stream.Groups["length"].Value));
    }

    [GeneratedRegex(@"startxref\s+(\d+)\s+%%EOF\s*$")]
    private static partial Regex StartXref();

    [GeneratedRegex(@"(\d{10}) \d{5} [nf] ")]
    private static partial Regex XrefEntry();

    [GeneratedRegex(@"/Length (?<length>\d+) >>\nstream\n(?<body>.*?)endstream", RegexOptions.Singleline)]
    private static partial Regex Stream();

    private static string FromHex(string hex)
    {
        hex = new string(hex.Where(Uri.IsHexDigit).ToArray());
        if (hex.Length % 2 == 1) hex += "0";
        return Encoding.Latin1.GetString(Convert.FromHexString(hex));
    }

    private static string Unescape(string literal) =>
        EscapedChar().Replace(literal, m => m.Groups[1].Value switch { "n" => "\n", "r" => "\r", "t" => "\t", var c => c });

    [GeneratedRegex(@"(?<operands>(?:\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|\[[^\]]*\]))\s*(?:Tj|TJ)")]
    private static partial Regex TextOperator();

    [GeneratedRegex(@"\((?<lit>(?:\\.|[^\\)])*)\)|<(?<hex>[0-9A-Fa-f\s]*)>")]
    private static partial Regex StringOperand();

    [GeneratedRegex(@"\\(.)")]
    private static partial Regex EscapedChar();
}
