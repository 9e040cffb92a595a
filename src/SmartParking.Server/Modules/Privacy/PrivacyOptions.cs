using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Privacy;

public sealed class PrivacyOptions
{
    public const string Section = "Privacy";

    /// <summary>The consent text in force (privacy notice version), recorded with every change of consent.</summary>
    [Required] public string ConsentPolicyVersion { get; set; } = "2026-12";

    /// <summary>
    /// How long before an inactive account's erasure (the retention period of class inactive-accounts) the driver is
    /// warned by e-mail.
    /// </summary>
    [Range(1, 3_650)] public int InactiveWarningDays { get; set; } = 30;

    /// <summary>Whether the retention job applies the inactive-account rule.</summary>
    public bool EraseInactiveAccounts { get; set; } = true;
}
