using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations.Booking;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>
/// A reservation's payment that succeeded confirms the booking (or, too late, re-takes the space or refunds it). Told
/// of every state a payment moves to, at least once, whichever path recorded it: the charge's own answer, a webhook, or
/// the payments job after a crash. ConfirmPaidAsync is idempotent, so hearing it twice is harmless.
/// </summary>
public sealed class ReservationPayments(ReservationService reservations, ILogger<ReservationPayments> logger) : IPaymentSettledHandler
{
    public async Task HandleAsync(PaymentSettled settled, CancellationToken ct)
    {
        if (settled.Purpose != PaymentPurpose.Reservation || settled.State != PaymentState.Succeeded) return;
        try
        {
            await reservations.ConfirmPaidAsync(settled.ReferenceId, settled.PaymentId, settled.Amount, ct);
        }
        catch (NotFoundException)
        {
            // Nothing here will ever confirm it, so a retry would only repeat this: said once, and taken as handled.
            logger.LogWarning("Payment {PaymentId} succeeded for reservation {ReservationId}, which does not exist", settled.PaymentId, settled.ReferenceId);
        }
    }
}
