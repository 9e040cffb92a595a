using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Analytics.DailyReports;

public sealed class DailyReportOptions
{
    public const string Section = "Analytics:DailyReports";

    /// <summary>False: no reports are made (stored ones can still be downloaded).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The local hour, in each tenant's zone, from which the previous day's report is made.</summary>
    [Range(0, 23)] public int Hour { get; set; } = 6;

    /// <summary>How long stored reports are kept for download.</summary>
    [Range(1, 3650)] public int RetentionDays { get; set; } = 400;

    /// <summary>The dashboard's address as operators reach it, for the link in the e-mail.</summary>
    [Required, Url] public string DashboardUrl { get; set; } = "http://localhost:5080/admin";
}
