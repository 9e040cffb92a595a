using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Sessions;

public sealed class SessionOptions
{
    public const string Section = "Sessions";

    /// <summary>How long before its paid time runs out a session is announced as expiring (SessionExpiring), with a way to extend.</summary>
    [Range(1, 1440)] public int ExpiringMinutes { get; set; } = 15;
}
