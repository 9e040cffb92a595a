namespace SmartParking.Server.Modules.Notifications;

/// <summary>The kinds of message there are; each has a template per language.</summary>
public static class NotificationKinds
{
    public const string ReservationConfirmed = "reservation_confirmed";
    public const string ReservationReminder = "reservation_reminder";
    public const string ReservationEndingSoon = "reservation_ending_soon";
    public const string SessionExpiring = "session_expiring";
    public const string ReservationExpired = "reservation_expired";
    public const string SessionExpired = "session_expired";
    public const string NoShowFee = "no_show_fee";
    public const string PaymentFailed = "payment_failed";
    public const string RefundIssued = "refund_issued";
    public const string OperatorAlert = "operator_alert";
    public const string Marketing = "marketing";

    /// <summary>The previous day's report for a tenant's operators, with the report as PDF and Excel attached.</summary>
    public const string DailyReport = "daily_report";

    /// <summary>A driver account unused for long is about to be erased (the privacy rules' warning, by e-mail).</summary>
    public const string AccountInactive = "account_inactive";

    /// <summary>An event forwarded to an integrator's webhook: sent as its JSON body, not from a template.</summary>
    public const string Webhook = "webhook";

    /// <summary>What a driver may choose channels for (operator alerts go to fixed addresses).</summary>
    public static readonly string[] ForDrivers =
    [
        ReservationConfirmed, ReservationReminder, ReservationEndingSoon, SessionExpiring, ReservationExpired, SessionExpired,
        NoShowFee, PaymentFailed, RefundIssued, Marketing,
    ];

    public static readonly string[] All = [.. ForDrivers, OperatorAlert, DailyReport, AccountInactive, Webhook];
}
