using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace SmartParking.Server.Modules.Notifications.Templates;

/// <summary>A message as it goes out: the subject, the plain text, and the same as HTML (values encoded).</summary>
public sealed record RenderedMessage(string Subject, string Text, string? Html);

/// <param name="Subject">One line; placeholders like {lot} take the request's fields.</param>
/// <param name="Paragraphs">The body, one paragraph each.</param>
/// <param name="LinkLabel">The words on the message's link (receipt, extension), when it has one.</param>
public sealed record MessageTemplate(string Subject, string[] Paragraphs, string? LinkLabel = null);

/// <summary>
/// Every message's words, per kind and language, in one table to read and edit. Values are filled in as given (times are
/// already in the lot's zone, amounts carry their currency) and HTML-encoded in the HTML part.
/// </summary>
public static partial class MessageTemplates
{
    public const string DefaultLanguage = "en";
    public static readonly string[] Languages = ["en", "da"];

    private static readonly Dictionary<(string Kind, string Language), MessageTemplate> Table = new()
    {
        [(NotificationKinds.ReservationConfirmed, "en")] = new("Your parking at {lot} is confirmed",
            ["Space {space} at {lot} is yours {when}.", "Paid: {price}."], "See the receipt"),
        [(NotificationKinds.ReservationConfirmed, "da")] = new("Din parkering på {lot} er bekræftet",
            ["Plads {space} på {lot} er din {when}.", "Betalt: {price}."], "Se kvitteringen"),

        [(NotificationKinds.ReservationReminder, "en")] = new("Your parking at {lot} starts soon",
            ["Space {space} at {lot} is reserved for you from {start}."]),
        [(NotificationKinds.ReservationReminder, "da")] = new("Din parkering på {lot} begynder snart",
            ["Plads {space} på {lot} er reserveret til dig fra {start}."]),

        [(NotificationKinds.ReservationEndingSoon, "en")] = new("Your parking at {lot} ends at {end}",
            ["Your reservation of space {space} at {lot} ends at {end}.", "Need longer? One tap adds {minutes} minutes."], "Extend by {minutes} minutes"),
        [(NotificationKinds.ReservationEndingSoon, "da")] = new("Din parkering på {lot} slutter {end}",
            ["Din reservation af plads {space} på {lot} slutter {end}.", "Brug for mere tid? Ét tryk giver {minutes} minutter mere."], "Forlæng med {minutes} minutter"),

        [(NotificationKinds.SessionExpiring, "en")] = new("Parking for {plate} at {lot} runs out at {end}",
            ["The paid time for {plate} at {lot} runs out at {end}.", "Need longer? One tap adds {minutes} minutes."], "Extend by {minutes} minutes"),
        [(NotificationKinds.SessionExpiring, "da")] = new("Parkeringen for {plate} på {lot} udløber {end}",
            ["Den betalte tid for {plate} på {lot} udløber {end}.", "Brug for mere tid? Ét tryk giver {minutes} minutter mere."], "Forlæng med {minutes} minutter"),

        [(NotificationKinds.ReservationExpired, "en")] = new("Your reservation at {lot} was not paid in time",
            ["The hold on space {space} at {lot} ran out before the payment went through, so the space was released."]),
        [(NotificationKinds.ReservationExpired, "da")] = new("Din reservation på {lot} blev ikke betalt i tide",
            ["Pladsen {space} på {lot} blev frigivet, fordi betalingen ikke gik igennem i tide."]),

        [(NotificationKinds.SessionExpired, "en")] = new("Parking for {plate} at {lot} has ended",
            ["The paid time for {plate} at {lot} has run out. The stay cost {amount}."]),
        [(NotificationKinds.SessionExpired, "da")] = new("Parkeringen for {plate} på {lot} er slut",
            ["Den betalte tid for {plate} på {lot} er udløbet. Parkeringen kostede {amount}."]),

        [(NotificationKinds.NoShowFee, "en")] = new("No-show fee for your reservation at {lot}",
            ["You did not arrive for your reservation of space {space} at {lot}, so a no-show fee of {fee} was charged."]),
        [(NotificationKinds.NoShowFee, "da")] = new("Udeblivelsesgebyr for din reservation på {lot}",
            ["Du mødte ikke op til din reservation af plads {space} på {lot}, så der er opkrævet et udeblivelsesgebyr på {fee}."]),

        [(NotificationKinds.PaymentFailed, "en")] = new("A payment of {amount} failed",
            ["We could not take the payment of {amount}: {reason}", "Please check your payment method."]),
        [(NotificationKinds.PaymentFailed, "da")] = new("En betaling på {amount} mislykkedes",
            ["Vi kunne ikke gennemføre betalingen på {amount}: {reason}", "Tjek venligst din betalingsmetode."]),

        [(NotificationKinds.RefundIssued, "en")] = new("Refund of {amount}",
            ["{amount} is on its way back to you ({reason})."]),
        [(NotificationKinds.RefundIssued, "da")] = new("Refusion af {amount}",
            ["{amount} er på vej tilbage til dig ({reason})."]),

        [(NotificationKinds.OperatorAlert, "en")] = new("{title} ({lot})", ["{detail}"], "Open in the dashboard"),
        [(NotificationKinds.OperatorAlert, "da")] = new("{title} ({lot})", ["{detail}"], "Åbn i oversigten"),

        [(NotificationKinds.DailyReport, "en")] = new("Daily report for {tenant}, {date}",
            ["{summary}", "The report is attached as PDF and Excel, and kept in the dashboard."], "Open the reports"),
        [(NotificationKinds.DailyReport, "da")] = new("Dagsrapport for {tenant}, {date}",
            ["{summary}", "Rapporten er vedhæftet som PDF og Excel og gemt i oversigten."], "Åbn rapporterne"),

        [(NotificationKinds.AccountInactive, "en")] = new("Your SmartParking account will be deleted on {date}",
            ["You have not signed in since {lastActive}. Accounts unused for {days} days are deleted with the personal data they hold.",
             "To keep your account, just sign in before {date}."]),
        [(NotificationKinds.AccountInactive, "da")] = new("Din SmartParking-konto slettes den {date}",
            ["Du har ikke logget ind siden {lastActive}. Konti, der ikke er brugt i {days} dage, slettes med de personoplysninger, de indeholder.",
             "Log blot ind før {date} for at beholde din konto."]),

        [(NotificationKinds.Marketing, "en")] = new("{title}",
            ["{detail}", "You get this because you said yes to news from SmartParking; turn it off in your notification settings."], "Read more"),
        [(NotificationKinds.Marketing, "da")] = new("{title}",
            ["{detail}", "Du får denne besked, fordi du har sagt ja til nyheder fra SmartParking; slå det fra i dine indstillinger for beskeder."], "Læs mere"),
    };

    public static bool Exists(string kind) => Table.ContainsKey((kind, DefaultLanguage));

    /// <summary>The language used for a wish: the wish when there are templates in it, English otherwise.</summary>
    public static string LanguageFor(string? wish) => wish is not null && Languages.Contains(wish) ? wish : DefaultLanguage;

    /// <summary>Fills the template of the kind in the language; a field the template names but the request lacks is an error of the caller.</summary>
    public static RenderedMessage Render(string kind, string language, IReadOnlyDictionary<string, string> fields, string? link)
    {
        if (!Table.TryGetValue((kind, LanguageFor(language)), out var template))
            throw new ArgumentException($"There is no message template for the kind '{kind}'.", nameof(kind));
        var subject = Fill(template.Subject, fields, encode: false);
        var text = new StringBuilder();
        var html = new StringBuilder($"<!DOCTYPE html>\n<html lang=\"{LanguageFor(language)}\"><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(subject)}</title></head><body>\n");
        foreach (var paragraph in template.Paragraphs)
        {
            text.Append(Fill(paragraph, fields, encode: false)).Append("\n\n");
            html.Append("<p>").Append(Fill(paragraph, fields, encode: true)).Append("</p>\n");
        }
        if (template.LinkLabel is not null && link is not null)
        {
            text.Append(Fill(template.LinkLabel, fields, encode: false)).Append(": ").Append(link).Append('\n');
            html.Append("<p><a href=\"").Append(WebUtility.HtmlEncode(link)).Append("\">").Append(Fill(template.LinkLabel, fields, encode: true)).Append("</a></p>\n");
        }
        html.Append("</body></html>\n");
        return new RenderedMessage(subject, text.ToString().TrimEnd() + "\n", html.ToString());
    }

    private static string Fill(string template, IReadOnlyDictionary<string, string> fields, bool encode) =>
        Placeholder().Replace(template, m => fields.TryGetValue(m.Groups[1].Value, out var value)
            ? encode ? WebUtility.HtmlEncode(value) : value
            : throw new ArgumentException($"The message needs the field '{m.Groups[1].Value}'.", nameof(fields)));

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex Placeholder();
}
