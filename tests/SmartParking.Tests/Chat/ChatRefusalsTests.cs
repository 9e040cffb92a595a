using System.Reflection;
using System.Text.RegularExpressions;
using SmartParking.Server.Modules.Chat.Dialogue;
using SmartParking.Server.Platform.Errors;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>A service's refusal as the chat tells it: in Danish by its code in a Danish conversation, as it is in English.</summary>
public sealed partial class ChatRefusalsTests
{
    private static readonly Say English = new(ChatLanguage.English);
    private static readonly Say Danish = new(ChatLanguage.Danish);

    public static TheoryData<string> Codes() => [.. typeof(Refusals).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!)];

    [Theory]
    [MemberData(nameof(Codes))]
    public void EveryRefusalCode_HasItsDanishWords(string code)
    {
        ChatRefusals.Danish.Keys.ShouldContain(code);
        var danish = ChatRefusals.Reason(new ConflictException("An English message.", code: code), Danish);
        danish.ShouldNotContain("English");
        danish.ShouldNotBeNullOrWhiteSpace();
    }

    /// <summary>A refusal a driver can meet carries a code, so no Danish conversation gets it in English.</summary>
    [Fact]
    public void EveryConflictOfReservationsAndSessions_CarriesACode()
    {
        var modules = new[] { "Reservations", "Sessions" }.Select(m => Path.Combine(RepoPaths.Root, "src", "SmartParking.Server", "Modules", m));
        var throws = modules.SelectMany(m => Directory.EnumerateFiles(m, "*.cs", SearchOption.AllDirectories))
            .SelectMany(file => NewConflict().Matches(File.ReadAllText(file)).Select(match => (File: Path.GetFileName(file), Statement: match.Value)))
            .ToList();
        throws.Count.ShouldBeGreaterThan(10);
        throws.Where(t => !t.Statement.Contains("code: Refusals.", StringComparison.Ordinal)).Select(t => $"{t.File}: {t.Statement}").ShouldBeEmpty();
    }

    [Fact]
    public void Conflict_InDanish_ToldByItsCodeWithItsFigures()
    {
        var unpaid = new ConflictException("You have 3 unpaid reservations already; pay for or cancel one before booking another.",
            new Dictionary<string, object?> { ["maxUnpaidHolds"] = 3 }, code: Refusals.UnpaidHolds);
        var cancelled = new ConflictException("The reservation is cancelled and cannot be extended.",
            new Dictionary<string, object?> { ["reservationStatus"] = "cancelled" }, code: Refusals.WrongStatus);

        ChatRefusals.Reason(unpaid, Danish).ShouldBe("du har allerede 3 ubetalte reservationer; betal for eller annuller en, før du booker en ny.");
        ChatRefusals.Reason(cancelled, Danish).ShouldBe("bookingen er annulleret og kan ikke ændres sådan.");
        ChatRefusals.Reason(unpaid, English).ShouldBe(unpaid.Message);
    }

    [Fact]
    public void Refusals_WithoutDanishWords_ToldAsTheServiceSaidThem()
    {
        var uncoded = new ConflictException("Something only the service can say.");
        var otherField = new ValidationException("lotId", "is not a lot you can book.");

        ChatRefusals.Reason(uncoded, Danish).ShouldBe(uncoded.Message);
        ChatRefusals.Reason(otherField, Danish).ShouldBe("is not a lot you can book.");
        ChatRefusals.Reason(new ValidationException("durationMinutes", "The longest stay from now is 120 minutes."), Danish).ShouldBe("så længe må der ikke parkeres her.");
        ChatRefusals.Reason(new PaymentFailedException("Your card was declined.", "card_declined"), Danish).ShouldBe("betalingen blev afvist.");
        ChatRefusals.Reason(new PaymentFailedException("Your card was declined.", "card_declined"), English).ShouldBe("Your card was declined.");
    }

    /// <summary>A <c>new ConflictException(…)</c> up to the end of its statement (a line's last <c>);</c>: messages have their own).</summary>
    [GeneratedRegex(@"new ConflictException\(.*?\);[ \t]*\r?$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex NewConflict();
}
