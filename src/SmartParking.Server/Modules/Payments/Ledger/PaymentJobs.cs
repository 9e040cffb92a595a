using Microsoft.Extensions.Options;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Payments.Ledger;

/// <summary>
/// What a process killed mid-payment leaves behind, finished on schedule (one node at a time): charges in flight whose
/// lease ran out are driven to an outcome under their own provider keys, and state changes that not every settlement
/// handler took are announced again. With both, a payment that succeeds always reaches the module that asked for it.
/// </summary>
public sealed class PaymentJobs(PaymentLedger ledger, PaymentService payments, SettlementAnnouncer announcer, IOptions<PaymentsOptions> options,
    ILogger<PaymentJobs> logger) : IScheduledJob
{
    private const int Batch = 200;

    public string Name => "payments";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        var o = options.Value;
        foreach (var row in await ledger.StaleInFlightAsync(now.AddSeconds(-o.ChargeLeaseSeconds), Batch, ct))
            await EachAsync(row, "drive", () => payments.ResumeAsync(row, ct));
        // Driving a charge above announces its outcome at once; these are the ones whose announcement was cut short.
        foreach (var row in await ledger.TakeDueAnnouncementsAsync(now, now.AddSeconds(o.SettlementGraceSeconds), Batch, ct))
            await EachAsync(row, "announce", () => announcer.AnnounceAsync(row, ct));
    }

    // One payment's trouble (a database error mid-way) must not hold up the others; its state is in the ledger for next round.
    private async Task EachAsync(PaymentRow row, string step, Func<Task> work)
    {
        try { await work(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not {Step} payment {PaymentId}; trying again next round", step, row.Id);
        }
    }
}
