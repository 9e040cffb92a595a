using System.Security.Claims;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>What an operator may do to any reservation of their tenant.</summary>
public sealed partial class ReservationService
{
    /// <summary>
    /// Cancels a held or confirmed reservation on the operator's word (a closed lot, a broken barrier). The driver did
    /// nothing wrong, so whatever was paid is refunded in full, whatever the lot's late-cancellation share.
    /// </summary>
    public async Task<ReservationRow> CancelAsOperatorAsync(ClaimsPrincipal operatorUser, Guid id, string? reason, CancellationToken ct)
    {
        new Validation().MaxLength(reason, "reason", 500).ThrowIfInvalid();
        var scope = operatorUser.TenantScope();
        ReservationRow row;
        await using (var connection = await db.OpenConnectionAsync(ct))
            row = await FindAsync(connection, id, ct);
        // Another tenant's reservation is "not found", as every operator read is.
        if (scope is { } tenant && row.TenantId != tenant) throw new NotFoundException("Reservation");
        var cancelled = await CancelRowAsync(row, 100, ct);
        await using (var connection = await db.OpenConnectionAsync(ct))
            await audit.RecordAsync(connection, null, operatorUser, row.TenantId, "reservation.cancelled_by_operator", "reservation", id,
                new { before = row.Status, reason }, ct);
        return cancelled;
    }
}
