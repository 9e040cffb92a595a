using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Privacy;

public sealed class PrivacyOptions
{
    public const string Section = "Privacy";

    /// <summary>The consent text in force (privacy notice version), recorded with every change of consent.</summary>
    [Required] public string ConsentPolicyVersion { get; set; } = "2026-12";

    /// <summary>A driver account with no sign-in for this long is erased.</summary>
    [Range(1, 36_500)] public int InactiveAccountDays { get; set; } = 3 * 365;

    /// <summary>How long before that erasure the driver is warned by e-mail.</summary>
    [Range(1, 3_650)] public int InactiveWarningDays { get; set; } = 30;

    /// <summary>Whether the inactive-account rule runs (daily, on the node that runs scheduled work).</summary>
    public bool EraseInactiveAccounts { get; set; } = true;
}
