using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Mono.Cecil;
using SmartParking.Tests.Infrastructure;
using Xunit;

namespace SmartParking.Tests.Architecture;

/// <summary>
/// The module rules of docs/architecture.md, checked on the built server and its source: Platform knows no business
/// module; a module reads only its own tables; across modules only a module's public contract (the public types of its
/// root namespace) is used, never its internals (its sub-namespaces). Table reads that predate these rules are listed
/// below as known debt: a new one fails the test, and so does a listed one that is gone (take it off the list).
/// </summary>
public sealed partial class ArchitectureTests
{
    private const string Root = "SmartParking.Server";
    private static readonly Assembly Server = typeof(Program).Assembly;

    private static readonly string[] BusinessModules =
        ["Admin", "Analytics", "Availability", "Demo", "Identity", "Lots", "Notifications", "Payments", "Pricing", "Privacy", "Reservations", "Sensors", "Sessions", "Web"];

    /// <summary>Which module owns each table (Platform: the outbox, checkpoints, key ring, idempotency records).</summary>
    private static readonly Dictionary<string, string> TableOwners = Own(
        ("Identity", ["users", "refresh_tokens", "sign_in_throttle", "sign_in_failures", "audit_log", "platform_secrets"]),
        ("Lots", ["tenants", "lots", "spaces", "zones", "zone_rules", "city_guides"]),
        ("Sensors", ["sensors", "gateways", "sensor_readings", "space_status", "sensor_lot_policies"]),
        ("Reservations", ["reservations", "reservation_policies"]),
        ("Sessions", ["meter_sessions"]),
        ("Payments", ["payments", "refunds", "payment_methods", "webhook_events"]),
        ("Pricing", ["pricing_policies", "lot_prices", "price_history", "pricing_events", "pricing_experiments", "pricing_runs", "pricing_stays", "pricing_revenue"]),
        ("Platform", ["domain_events", "event_checkpoints", "event_retries", "data_protection_keys", "idempotent_requests", "protection_settings", "protection_key_versions"]),
        ("Notifications", ["notification_messages", "notification_preferences", "alerts", "alert_escalations", "alert_settings", "alert_conditions",
            "alert_node_signals", "web_push_vapid_keys", "push_subscriptions", "push_deliveries", "webhook_endpoints", "notification_attachments"]),
        ("Analytics", ["lot_occupancy_hourly", "daily_reports", "occupancy_imports", "analytics_stays", "analytics_money", "analytics_rollups", "analytics_revenue", "analytics_status_batches", "forecast_models"]),
        ("Chat", ["chat_conversations", "chat_links", "chat_link_codes", "chat_channel_updates", "chat_handoffs", "chat_handoff_messages"]),
        ("Demo", ["demo_sensors"]),
        ("Privacy", ["privacy_consents", "privacy_erasures", "privacy_inactivity_warnings", "retention_policies", "retention_runs"]));

    /// <summary>Tables dropped by a later migration, so no module owns them.</summary>
    private static readonly string[] DroppedTables = ["session_limits", "analytics_arrivals", "analytics_dirty_hours", "notification_consents"];

    /// <summary>
    /// Reads of another module's table that predate the rule ("module reads table"), with why they are still here.
    /// space_status is the live change feed by design (versioned rows written by ingest, read by availability).
    /// </summary>
    private static readonly HashSet<string> KnownTableReads =
    [
        "Availability reads space_status", // the designed fast feed: docs/architecture.md
        "Availability reads lots", "Availability reads spaces", // the read model loads the catalogue in one query per lot
        "Demo reads city_guides", "Demo reads meter_sessions", "Demo reads payments", "Demo reads price_history", "Demo reads refunds",
        "Demo reads reservations", "Demo reads sensors", "Demo reads spaces", "Demo reads tenants", "Demo reads users", // seeds a demo city's past in bulk
    ];

    [Fact]
    public void Platform_DependsOnNoBusinessModule()
    {
        var uses = References().Where(r => r.From == "Platform" && r.To.StartsWith("Modules.", StringComparison.Ordinal))
            .Select(r => $"{r.Type} uses {r.To}").Distinct().Order();

        uses.ShouldBeEmpty("Platform must not know the business modules");
    }

    [Fact]
    public void EveryTableInTheMigrations_HasAnOwner()
    {
        var created = CreatedTables().Except(DroppedTables).ToHashSet();

        created.Where(t => !TableOwners.ContainsKey(t)).ShouldBeEmpty("give each new table an owning module in TableOwners");
        TableOwners.Keys.Where(t => !created.Contains(t)).ShouldBeEmpty("TableOwners names a table no migration creates");
    }

    [Fact]
    public void Modules_ReadOnlyTheirOwnTables_ApartFromTheKnownDebt()
    {
        var reads = TableReads().ToHashSet();

        reads.Except(KnownTableReads).Order().ShouldBeEmpty("a module reads another module's table: ask its public contract (or subscribe to its events) instead");
        KnownTableReads.Except(reads).Order().ShouldBeEmpty("these reads are gone: take them off KnownTableReads");
    }

    [Fact]
    public void Modules_UseOnlyOtherModulesPublicContracts()
    {
        InternalCrossings().Order().ShouldBeEmpty(
            "a module uses another module's internals (a type outside its root namespace): add what it needs to that module's contract");
    }

    /// <summary>"A uses B.Sub" for each module A with code that uses a type in a sub-namespace (an internal part) of module B.</summary>
    private static IEnumerable<string> InternalCrossings() =>
        References().Where(r => r.From != "Platform" && r.To.Count(c => c == '.') >= 2 && !r.To.StartsWith($"Modules.{r.From}.", StringComparison.Ordinal))
            .Select(r => $"{r.From} uses {r.To["Modules.".Length..]}").Distinct();

    private sealed record Reference(string From, string Type, string To);

    private static readonly Lazy<List<Reference>> AllReferences = new(ReadReferences);

    private static List<Reference> References() => AllReferences.Value;

    /// <summary>
    /// Every use of a server type by another, read from the compiled IL (signatures, fields, base types, attributes and the
    /// types their arguments name, method bodies, lambdas and async state machines included): From is the user's module
    /// (or "Platform"), To the used type's namespace below SmartParking.Server ("Modules.Lots.Zones", "Platform.Events").
    /// </summary>
    private static List<Reference> ReadReferences()
    {
        // Reading an attribute's enum arguments resolves the enum's assembly: the server's own and the shared frameworks'.
        using var resolver = new DefaultAssemblyResolver();
        foreach (var directory in new[] { Server.Location, typeof(object).Assembly.Location, typeof(WebApplication).Assembly.Location }.Select(path => Path.GetDirectoryName(path)!).Distinct())
            resolver.AddSearchDirectory(directory);
        using var module = ModuleDefinition.ReadModule(Server.Location, new ReaderParameters { AssemblyResolver = resolver });
        var found = new List<Reference>();
        foreach (var type in module.GetTypes())
        {
            var outer = type;
            while (outer.DeclaringType is not null) outer = outer.DeclaringType;
            if (Area(outer.Namespace) is not { } from) continue;
            var used = new HashSet<TypeReference>();
            void Add(TypeReference? t)
            {
                while (t is TypeSpecification spec)
                {
                    if (spec is GenericInstanceType generic) foreach (var a in generic.GenericArguments) Add(a);
                    t = spec.ElementType;
                }
                if (t is not null) used.Add(t);
            }
            // Attributes name types too: a Razor layout is [Layout(typeof(…))], an OpenAPI vocabulary [Vocabulary(typeof(…), …)].
            void AddAttributes(Mono.Cecil.ICustomAttributeProvider owner)
            {
                foreach (var attribute in owner.CustomAttributes)
                {
                    Add(attribute.AttributeType);
                    foreach (var argument in attribute.ConstructorArguments.Concat(attribute.Properties.Select(p => p.Argument)).Concat(attribute.Fields.Select(f => f.Argument)))
                        if (argument.Value is TypeReference named) Add(named);
                }
            }
            AddAttributes(type);
            foreach (var m in type.Methods) { AddAttributes(m); foreach (var p in m.Parameters) AddAttributes(p); }
            foreach (var p in type.Properties) AddAttributes(p);
            foreach (var f in type.Fields) AddAttributes(f);
            Add(type.BaseType);
            foreach (var i in type.Interfaces) Add(i.InterfaceType);
            foreach (var f in type.Fields) Add(f.FieldType);
            foreach (var p in type.Properties) Add(p.PropertyType);
            foreach (var m in type.Methods)
            {
                Add(m.ReturnType);
                foreach (var p in m.Parameters) Add(p.ParameterType);
                if (!m.HasBody) continue;
                foreach (var v in m.Body.Variables) Add(v.VariableType);
                foreach (var instruction in m.Body.Instructions)
                    switch (instruction.Operand)
                    {
                        case MethodReference called:
                            Add(called.DeclaringType);
                            Add(called.ReturnType);
                            if (called is GenericInstanceMethod gm) foreach (var a in gm.GenericArguments) Add(a);
                            break;
                        case FieldReference field: Add(field.DeclaringType); Add(field.FieldType); break;
                        case TypeReference t: Add(t); break;
                    }
            }
            foreach (var t in used)
            {
                var target = t;
                while (target.DeclaringType is not null) target = target.DeclaringType;
                if (target.Scope.Name != module.Name && target.Scope.Name != module.Assembly.Name.Name) continue;
                if (!target.Namespace.StartsWith(Root + ".", StringComparison.Ordinal)) continue;
                found.Add(new Reference(from, outer.FullName, target.Namespace[(Root.Length + 1)..]));
            }
        }
        return found;
    }

    /// <summary>"Platform", a business module's name, or null for anything else (Program, generated code).</summary>
    private static string? Area(string ns)
    {
        if (ns == $"{Root}.Platform" || ns.StartsWith($"{Root}.Platform.", StringComparison.Ordinal)) return "Platform";
        if (!ns.StartsWith($"{Root}.Modules.", StringComparison.Ordinal)) return null;
        var rest = ns[($"{Root}.Modules.").Length..];
        var dot = rest.IndexOf('.');
        return dot < 0 ? rest : rest[..dot];
    }

    private static IEnumerable<string> CreatedTables() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src", "SmartParking.Server", "Migrations"), "*.sql")
            .SelectMany(f => CreateTable().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).Distinct();

    /// <summary>"Module reads table" for each table named in SQL (from, join, into, update, copy, exists) in a module's source.</summary>
    private static IEnumerable<string> TableReads()
    {
        var source = Path.Combine(RepoPaths.Root, "src", "SmartParking.Server");
        foreach (var file in Directory.EnumerateFiles(source, "*.*", SearchOption.AllDirectories).Where(f => f.EndsWith(".cs") || f.EndsWith(".razor")))
        {
            var relative = Path.GetRelativePath(source, file).Split(Path.DirectorySeparatorChar);
            if (relative[0] is "bin" or "obj") continue;
            var module = relative[0] == "Modules" ? relative[1] : relative[0] == "Platform" ? "Platform" : null;
            if (module is null) continue;
            foreach (Match m in TableReference().Matches(File.ReadAllText(file)))
                if (TableOwners.TryGetValue(m.Groups[1].Value, out var owner) && owner != module)
                    yield return $"{module} reads {m.Groups[1].Value}";
        }
    }

    private static Dictionary<string, string> Own(params (string Module, string[] Tables)[] owners) =>
        owners.SelectMany(o => o.Tables.Select(t => (t, o.Module))).ToDictionary(p => p.t, p => p.Module);

    [GeneratedRegex(@"create table (?:if not exists )?([a-z_][a-z0-9_]*)")]
    private static partial Regex CreateTable();

    [GeneratedRegex(@"\b(?:from|join|into|update|table|copy|exists)\s+([a-z_][a-z0-9_]*)\b")]
    private static partial Regex TableReference();
}
