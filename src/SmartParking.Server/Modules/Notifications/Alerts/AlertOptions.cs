using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Notifications.Alerts;

public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>Whether the rules run on the scheduled-jobs timer (tests run rounds themselves).</summary>
    public bool Scheduled { get; set; } = true;

    /// <summary>How often the rules are evaluated (on the node running scheduled jobs).</summary>
    [Range(1, 3600)] public int EvaluateSeconds { get; set; } = 30;

    /// <summary>
    /// Against flapping: an alert resolves by itself only after its condition has stayed clear this long, and no new
    /// alert for the same thing opens within this time of the last one being resolved.
    /// </summary>
    [Range(0, 86_400)] public int HoldDownSeconds { get; set; } = 300;

    /// <summary>How often each node reports its own payment circuits and ingest queue; a report older than three times this is ignored.</summary>
    [Range(1, 3600)] public int NodeReportSeconds { get; set; } = 15;

    /// <summary>The dashboard's address as recipients reach it, for the link in each alert message.</summary>
    [Required, Url] public string DashboardUrl { get; set; } = "http://localhost:5080/admin";

    /// <summary>Webhook and Slack contacts may use http and private hosts (local development only).</summary>
    public bool AllowInsecureWebhooks { get; set; }
}
