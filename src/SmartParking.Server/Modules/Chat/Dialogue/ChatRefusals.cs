using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Chat.Dialogue;

/// <summary>
/// A service's refusal as a driver reads it. The services' messages are English; a Danish conversation gets its own
/// wording by the refusal's code (<see cref="Refusals"/>) or kind, and the English message only for a refusal it has no
/// words for.
/// </summary>
internal static class ChatRefusals
{
    /// <summary>Danish for every refusal code a driver can meet; a test checks that none is missing.</summary>
    internal static readonly IReadOnlyDictionary<string, Func<ConflictException, string>> Danish = new Dictionary<string, Func<ConflictException, string>>
    {
        [Refusals.SpaceReserved] = _ => "pladsen er allerede reserveret i det tidsrum.",
        [Refusals.NoSpaceFree] = c => c.Extensions.ContainsKey("rule")
            ? "der er ingen ledig plads af den type i hele tidsrummet, hvor reglerne her tillader det."
            : "der er ingen ledig plads af den type i hele tidsrummet.",
        [Refusals.OutOfService] = _ => "pladsen er ude af drift.",
        [Refusals.UnpaidHolds] = c => $"du har allerede {Extension(c, "maxUnpaidHolds")} ubetalte reservationer; betal for eller annuller en, før du booker en ny.",
        [Refusals.HoldExpired] = _ => "reservationen blev ikke betalt i tide og er udløbet; book igen.",
        [Refusals.WrongStatus] = c => $"bookingen er {Status(Extension(c, "reservationStatus") as string)} og kan ikke ændres sådan.",
        [Refusals.CheckedIn] = _ => "bilen er tjekket ind; tjek ud i stedet.",
        [Refusals.CheckInClosed] = _ => "indtjekningen er ikke åben nu.",
        [Refusals.ChangedMeanwhile] = _ => "den blev ændret imens; prøv igen.",
        [Refusals.SessionRunning] = _ => "den nummerplade har allerede en parkering i gang her; forlæng den i stedet.",
        [Refusals.SessionEnded] = _ => "parkeringen er allerede afsluttet.",
    };

    /// <summary>Danish for the fields whose invalid values the chat's own flows can send.</summary>
    private static readonly Dictionary<string, string> DanishFields = new(StringComparer.Ordinal)
    {
        ["durationMinutes"] = "så længe må der ikke parkeres her.",
        ["addMinutes"] = "så meget længere må der ikke parkeres her.",
        ["end"] = "det sluttidspunkt går ikke her.",
        ["start"] = "det starttidspunkt går ikke her.",
        ["plate"] = "den nummerplade er ikke gyldig.",
    };

    public static string Reason(Exception e, Say say) => say.Language == ChatLanguage.Danish && InDanish(e) is { } danish ? danish : English(e);

    /// <summary>A validation's own messages ("the stay must be at most …"), not its field names.</summary>
    private static string English(Exception e) => e is ValidationException invalid ? string.Join(" ", invalid.Errors.Values.SelectMany(m => m)) : e.Message;

    private static string? InDanish(Exception e) => e switch
    {
        ConflictException { Code: { } code } c when Danish.TryGetValue(code, out var words) => words(c),
        ValidationException v when v.Errors.Keys.All(DanishFields.ContainsKey) => string.Join(" ", v.Errors.Keys.Select(k => DanishFields[k]).Distinct()),
        PaymentFailedException => "betalingen blev afvist.",
        NotFoundException => "jeg kan ikke finde den.",
        _ => null,
    };

    private static object? Extension(ConflictException c, string name) => c.Extensions.TryGetValue(name, out var value) ? value : null;

    private static string Status(string? status) => status switch
    {
        ReservationStatus.Held => "ikke betalt endnu",
        ReservationStatus.Confirmed => "bekræftet",
        ReservationStatus.CheckedIn => "tjekket ind",
        ReservationStatus.Completed => "afsluttet",
        ReservationStatus.Cancelled => "annulleret",
        ReservationStatus.Expired => "udløbet",
        ReservationStatus.NoShow => "udeblevet",
        _ => "i en anden tilstand",
    };
}
