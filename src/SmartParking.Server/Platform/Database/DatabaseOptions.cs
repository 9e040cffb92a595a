using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Platform.Database;

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Where the embedded PostgreSQL cluster and local secrets live when no connection string is set.</summary>
    [Required]
    public string DataDirectory { get; set; } = ".data";

    /// <summary>Directory with initdb/pg_ctl; found on PATH or under /usr/lib/postgresql when empty.</summary>
    public string? PostgresBinDirectory { get; set; }

    /// <summary>Database created inside the embedded cluster.</summary>
    [Required]
    public string EmbeddedDatabaseName { get; set; } = "smartparking";

    [Range(1, 1000)]
    public int MaxPoolSize { get; set; } = 50;
}
