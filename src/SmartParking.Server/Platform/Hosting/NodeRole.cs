namespace SmartParking.Server.Platform.Hosting;

/// <summary>The parts of the platform a node can run; a role is a set of them.</summary>
[Flags]
public enum NodeParts
{
    /// <summary>HTTP APIs, the driver app, the dashboard and the SSE streams.</summary>
    Api = 1,

    /// <summary>MQTT, the HTTP and FIWARE ingest endpoints and the ingest pipeline that writes readings.</summary>
    Ingest = 2,

    /// <summary>Scheduled jobs, durable event dispatch (webhooks, rollups, alerts) and sending notifications.</summary>
    Worker = 4,

    All = Api | Ingest | Worker,
}

/// <summary>
/// What this node runs (<c>--role</c> or <c>Server:Role</c>): every node loads availability and follows the change feed,
/// so any mix of roles on one database serves correctly, and ingest nodes scale apart from API nodes.
/// </summary>
public sealed record NodeRole(string Name, NodeParts Parts)
{
    public const string Setting = "Server:Role";
    private const string CommandLineKey = "role";

    public static IReadOnlyList<NodeRole> Known { get; } =
    [
        new("all", NodeParts.All),
        new("api", NodeParts.Api),
        new("ingest", NodeParts.Ingest),
        new("worker", NodeParts.Worker),
    ];

    public bool Runs(NodeParts part) => (Parts & part) == part;

    /// <summary>What the node serves, as its readiness answer lists it.</summary>
    public IReadOnlyList<string> Serves =>
    [
        .. Runs(NodeParts.Api) ? ["http-api", "web-apps", "sse"] : Array.Empty<string>(),
        .. Runs(NodeParts.Ingest) ? ["mqtt", "ingest-http", "ingest-pipeline"] : Array.Empty<string>(),
        .. Runs(NodeParts.Worker) ? ["scheduled-jobs", "event-dispatch", "notifications"] : Array.Empty<string>(),
    ];

    /// <summary><c>--role</c> wins over <c>Server:Role</c> (e.g. the environment's Server__Role); neither means all.</summary>
    public static NodeRole From(IConfiguration configuration)
    {
        var value = configuration[CommandLineKey] ?? configuration[Setting];
        if (string.IsNullOrWhiteSpace(value)) return Known[0];
        return Known.FirstOrDefault(r => string.Equals(r.Name, value.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new StartupFailure($"Unknown node role '{value}': set --role (or {Setting}, env Server__Role) to one of {string.Join(", ", Known.Select(r => r.Name))}.");
    }
}

public static class NodeRoleRegistration
{
    /// <summary>The role this host is being built for (read again from configuration, so modules need no service provider).</summary>
    public static NodeRole NodeRole(this IHostApplicationBuilder builder) => Hosting.NodeRole.From(builder.Configuration);
}
