using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Sessions;

/// <summary>A meter session as its events carry it.</summary>
public sealed record SessionFacts(
    Guid SessionId, Guid TenantId, Guid DriverId, Guid LotId, Guid? ZoneId, string Plate,
    DateTimeOffset StartedAt, DateTimeOffset EndsAt, decimal RatePerHour, string Currency);

/// <summary>Names the car's plate, so it is recorded sealed.</summary>
public abstract record SessionEvent(SessionFacts Session) : IPersonalDomainEvent
{
    public string AggregateId => Session.SessionId.ToString();
    public Guid? TenantId => Session.TenantId;
}

public sealed record SessionStarted(SessionFacts Session) : SessionEvent(Session);

public sealed record SessionExtended(SessionFacts Session, DateTimeOffset PreviousEnd) : SessionEvent(Session);

/// <summary>Recorded once, 15 minutes (Sessions:ExpiringMinutes) before the paid time runs out.</summary>
public sealed record SessionExpiring(SessionFacts Session) : SessionEvent(Session);

/// <summary>The paid time ran out without the driver stopping the session.</summary>
public sealed record SessionExpired(SessionFacts Session, decimal Amount) : SessionEvent(Session);

/// <summary>Stopped by the driver; Amount is what the stay cost.</summary>
public sealed record SessionStopped(SessionFacts Session, DateTimeOffset StoppedAt, decimal Amount) : SessionEvent(Session);
