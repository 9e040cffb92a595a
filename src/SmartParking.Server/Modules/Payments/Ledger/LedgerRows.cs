namespace SmartParking.Server.Modules.Payments.Ledger;

public sealed class PaymentRow
{
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public Guid DriverId { get; init; }
    public string Purpose { get; init; } = "";
    public Guid ReferenceId { get; init; }
    public decimal Amount { get; init; }
    public string Currency { get; init; } = "";
    public string? Description { get; init; }
    /// <summary>The IANA zone its receipt shows times in; null for payments from before zones were kept (shown in UTC).</summary>
    public string? TimeZone { get; init; }
    public string State { get; init; } = "";
    public string? Provider { get; init; }
    public string? ProviderReference { get; init; }
    public Guid? PaymentMethodId { get; init; }
    public string IdempotencyKey { get; init; } = "";
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    public DateTimeOffset? AttemptStartedAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>Bumped by every state change; the settlement handlers have taken states up to <see cref="AnnouncedVersion"/>.</summary>
    public int SettlementVersion { get; init; }
    public int AnnouncedVersion { get; init; }
    public DateTimeOffset? AnnounceAfter { get; init; }

    /// <summary>Inserted, but no provider has answered yet (or the process died before it could record the answer).</summary>
    public bool InFlight => State == Ledger.States.Pending && Provider is null;

    /// <summary>Its current state has not yet been taken by every settlement handler.</summary>
    public bool Unannounced => SettlementVersion > AnnouncedVersion;

    public PaymentSettled ToSettled() => new(Id, PaymentPurposeText.Parse(Purpose), ReferenceId, States.Parse(State), Amount, Currency);

    public PaymentOutcome ToOutcome() =>
        new(Id, States.Parse(State), Provider ?? "none", Amount, Currency, FailureCode, FailureMessage);

    public PaymentFacts ToFacts() => new(Id, TenantId, DriverId, PaymentPurposeText.Parse(Purpose), ReferenceId, Amount, Currency, TimeZone);

    /// <summary>The event for a move to this row's state: succeeded or failed (pending is no move anyone hears of).</summary>
    public PaymentEvent? MovedEvent() => State switch
    {
        States.Succeeded => new PaymentSucceeded(ToFacts()),
        States.Failed => new PaymentFailed(ToFacts(), FailureCode, FailureMessage),
        _ => null,
    };
}

public sealed class RefundRow
{
    public Guid Id { get; init; }
    public Guid PaymentId { get; init; }
    public decimal Amount { get; init; }
    public string Currency { get; init; } = "";
    public string? Reason { get; init; }
    public string State { get; init; } = "";
    public string? ProviderReference { get; init; }
    public string IdempotencyKey { get; init; } = "";
    public string? FailureMessage { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public RefundOutcome ToOutcome() => new(Id, PaymentId, States.Parse(State), Amount, Currency, FailureMessage);
}

/// <summary>Enum ⇄ the snake_case text stored in the ledger (and shown in JSON).</summary>
public static class States
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public static string Text(PaymentState state) => state switch
    {
        PaymentState.Pending => Pending,
        PaymentState.Succeeded => Succeeded,
        _ => Failed,
    };

    public static PaymentState Parse(string state) => state switch
    {
        Pending => PaymentState.Pending,
        Succeeded => PaymentState.Succeeded,
        _ => PaymentState.Failed,
    };

    /// <summary>The same order as payment_state_rank() in SQL: a state never moves down.</summary>
    public static int Rank(PaymentState state) => state switch { PaymentState.Pending => 0, PaymentState.Failed => 1, _ => 2 };
}
