namespace SmartParking.Server.Modules.Notifications.Webhooks;

/// <summary>Outgoing webhook settings (section <c>Notifications:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Notifications:Webhooks";

    /// <summary>Accept http URLs and loopback or private-network hosts: for local receivers in development and tests only.</summary>
    public bool AllowPrivateHosts { get; set; }
}
