namespace SmartParking.Server.Modules.Demo;

public sealed class DemoOptions
{
    public const string Section = "Demo";

    /// <summary>Seed the demo city into an empty database (on in Development).</summary>
    public bool Seed { get; set; }
}
