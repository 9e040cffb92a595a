using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations.Booking;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>A reservation payment the provider settled later (webhook): success confirms the booking.</summary>
public sealed class ReservationPayments(ReservationService reservations, IPaymentService payments) : IPaymentSettledHandler
{
    public async Task HandleAsync(PaymentSettled settled, CancellationToken ct)
    {
        if (settled.Purpose != PaymentPurpose.Reservation || settled.State != PaymentState.Succeeded) return;
        var payment = (await payments.PaymentsForAsync(settled.ReferenceId, ct)).FirstOrDefault(p => p.PaymentId == settled.PaymentId);
        if (payment is not null) await reservations.ConfirmPaidAsync(settled.ReferenceId, payment, ct);
    }
}
