using SmartParking.Server.Platform.Exports;

namespace SmartParking.Tests.Platform;

/// <summary>PDF tables laid out from whatever text the cells hold.</summary>
public sealed class PdfPagesTests
{
    [Fact]
    public void Table_AWordWiderThanAColumnMayBe_StillLaidOut()
    {
        // One unbroken word (an e-mail address, a long id) wider than a third of the page: the column is capped, not refused.
        var longWord = new string('x', 120) + "@example.com";

        var pdf = new PdfPages("Users", landscape: true)
            .Table(["email", "name", "role"], [[longWord, "A Driver", "driver"], ["b@example.com", "B", "operator"]])
            .ToBytes();

        System.Text.Encoding.ASCII.GetString(pdf, 0, 5).ShouldBe("%PDF-");
    }
}
