namespace SmartParking.Server.Modules.Reservations;

/// <summary>Which lot reservations are in, for modules that attribute ledger money to lots (reports, alerts).</summary>
public interface IReservationLots
{
    /// <summary>The lot of each reservation id given (unknown ids are left out).</summary>
    Task<IReadOnlyDictionary<Guid, Guid>> LotsOfAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct);
}
