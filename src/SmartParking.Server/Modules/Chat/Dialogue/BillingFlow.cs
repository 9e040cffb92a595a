using System.Globalization;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Web;

namespace SmartParking.Server.Modules.Chat.Dialogue;

/// <summary>
/// A known driver's questions about money: their latest payments, each with what it was for, how it stands and what
/// was refunded, and a link to its receipt (a PDF in the app, behind sign-in). Anything to dispute goes to a person.
/// </summary>
public sealed class BillingFlow(IDriverPayments payments, IOptions<NotificationOptions> notifications, IOptions<ChatOptions> options)
{
    private const int Listed = 5;

    public async Task<IReadOnlyList<ChatReply>> LatestAsync(Guid driver, Say say, CancellationToken ct)
    {
        var latest = await payments.RecentAsync(driver, Listed, ct);
        if (latest.Count == 0)
            return [new ChatReply(say.T("You haven't paid for anything yet.", "Du har ikke betalt for noget endnu."))];
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(options.Value.DefaultTimeZone, out var z) ? z : TimeZoneInfo.Utc;
        var baseUrl = notifications.Value.PublicBaseUrl.TrimEnd('/');
        var lines = latest.Select((p, i) =>
        {
            var at = TimeZoneInfo.ConvertTime(p.At, zone).ToString("d MMM HH:mm", CultureInfo.InvariantCulture);
            var refunded = p.Refunded > 0 ? say.T($", {DriverFormat.Money(p.Refunded, p.Currency)} refunded", $", {DriverFormat.Money(p.Refunded, p.Currency)} refunderet") : "";
            return $"{i + 1}. {at} {What(p.Purpose, say)}: {DriverFormat.Money(p.Amount, p.Currency)} {State(p.State, say)}{refunded}\n"
                + $"   {say.T("Receipt", "Kvittering")}: {baseUrl}/me/receipts/{p.ReferenceId}";
        });
        return [new ChatReply(say.T("Your latest payments:", "Dine seneste betalinger:") + "\n" + string.Join("\n", lines)
            + "\n" + say.T("Something wrong with a payment? A person can look into it.", "Er der noget galt med en betaling? En medarbejder kan se på det."),
            [new ChatButton(say.T("Talk to a person", "Tal med en person"), "/human_handoff")])];
    }

    private static string What(PaymentPurpose purpose, Say say) => purpose switch
    {
        PaymentPurpose.Reservation => say.T("booking", "booking"),
        PaymentPurpose.ReservationExtension => say.T("booking extension", "forlængelse af booking"),
        PaymentPurpose.CancellationFee => say.T("cancellation fee", "afbestillingsgebyr"),
        PaymentPurpose.NoShow => say.T("no-show fee", "gebyr for udeblivelse"),
        PaymentPurpose.Overstay => say.T("overstay fee", "gebyr for overskredet tid"),
        _ => say.T("parking", "parkering"),
    };

    private static string State(PaymentState state, Say say) => state switch
    {
        PaymentState.Succeeded => say.T("paid", "betalt"),
        PaymentState.Pending => say.T("pending", "afventer"),
        _ => say.T("failed, not charged", "mislykket, ikke trukket"),
    };
}
