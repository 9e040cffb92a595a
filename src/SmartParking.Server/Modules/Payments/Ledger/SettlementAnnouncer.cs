namespace SmartParking.Server.Modules.Payments.Ledger;

/// <summary>
/// Tells the modules waiting for payments (<see cref="IPaymentSettledHandler"/>) of a payment's new state, and records in
/// the ledger that they all took it. Until then the row stays due, and the payments job announces it again: a process
/// killed between the state change and its handlers loses nothing.
/// </summary>
public sealed class SettlementAnnouncer(PaymentLedger ledger, IServiceScopeFactory scopes, ILogger<SettlementAnnouncer> logger)
{
    /// <summary>True when every handler took the row's current state (or there was nothing to announce).</summary>
    public async Task<bool> AnnounceAsync(PaymentRow row, CancellationToken ct)
    {
        if (!row.Unannounced) return true;
        var settled = row.ToSettled();
        var all = true;
        await using (var scope = scopes.CreateAsyncScope())
            foreach (var handler in scope.ServiceProvider.GetServices<IPaymentSettledHandler>())
            {
                // One module's failure must not keep the others from hearing about the settlement; it is retried later.
                try { await handler.HandleAsync(settled, ct); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    all = false;
                    logger.LogError(e, "{Handler} failed on payment {PaymentId} becoming {State}; it is announced again later",
                        handler.GetType().Name, settled.PaymentId, settled.State);
                }
            }
        // Marked for this version only: if the state moved again meanwhile, that move is still due.
        if (all) await ledger.MarkAnnouncedAsync(row.Id, row.SettlementVersion, ct);
        return all;
    }
}
