using System.Reflection;
using System.Text.RegularExpressions;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Tables;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Privacy;

/// <summary>docs/privacy.md says what the code does: the retention periods, the tables with personal data, the audited exports.</summary>
public sealed partial class PrivacyNoticeTests
{
    private static readonly string Notice = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "privacy.md"));

    /// <summary>Columns that name, reach or identify a person (or hold what they wrote), wherever a migration creates them.</summary>
    private static readonly HashSet<string> PersonalColumns =
    [
        "email", "normalized_email", "actor_email", "display_name", "password_hash", "authenticator_key", "recovery_codes",
        "plate", "phone", "address", "sender", "driver_id", "user_id", "actor_id", "operator_id", "imported_by", "endpoint", "customer",
        "turns", "text", "body_text", "acknowledged_by_name", "resolved_by_name",
    ];

    [Fact]
    public void RetentionTable_NamesEveryDataClassWithTheDefaultTheCodeApplies()
    {
        var rows = RetentionRow().Matches(Notice).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["default"].Value.Trim());

        foreach (var dataClass in RetentionClasses.All)
        {
            rows.ShouldContainKey(dataClass.Name, $"docs/privacy.md's retention table has no row for {dataClass.Name}");
            rows[dataClass.Name].ShouldBe(dataClass.Default.Describe(), $"the default of {dataClass.Name}");
        }
        rows.Keys.Except(RetentionClasses.All.Select(c => c.Name)).ShouldBeEmpty("the retention table names a class the code does not have");
    }

    [Fact]
    public void RetentionTable_StatesWhatATenantMaySetAndTheAction()
    {
        foreach (var dataClass in RetentionClasses.All)
        {
            var row = RetentionRow().Matches(Notice).Single(m => m.Groups["name"].Value == dataClass.Name).Value;
            row.ShouldContain(dataClass.Action == RetentionAction.Delete ? "| delete" : "| pseudonymise");
            if (dataClass.PerTenant) row.ShouldContain($"{dataClass.Minimum.Describe()} to {dataClass.Maximum.Describe()}");
            else row.ShouldContain("| no");
        }
    }

    [Fact]
    public void EveryTableWithPersonalData_IsNamedInTheNotice()
    {
        var tables = PersonalTables().ToList();

        tables.ShouldNotBeEmpty();
        tables.Where(t => !Notice.Contains($"`{t}`", StringComparison.Ordinal)).Order()
            .ShouldBeEmpty("these tables hold personal data: say in docs/privacy.md what they hold, why, for how long and who sees it");
    }

    [Fact]
    public void EveryExportThatIsAudited_IsListedAsHoldingPersonalData_AndNoOther()
    {
        var personal = typeof(Program).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.FieldType.IsGenericType && f.FieldType.GetGenericTypeDefinition() == typeof(TableDefinition<>))
            .Select(f => f.GetValue(null)!)
            .Where(d => (bool)d.GetType().GetProperty(nameof(TableDefinition<object>.PersonalData))!.GetValue(d)!)
            .Select(d => (string)d.GetType().GetProperty(nameof(TableDefinition<object>.Name))!.GetValue(d)!)
            .Order().ToList();
        var listed = AuditedExports().Match(Notice).Groups["tables"].Value;

        personal.ShouldNotBeEmpty();
        Regex.Matches(listed, "`([a-z-]+)`").Select(m => m.Groups[1].Value).Order().ShouldBe(personal);
    }

    [Fact]
    public void Readme_LinksTheNotice()
    {
        File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")).ShouldContain("(docs/privacy.md)");
    }

    /// <summary>Tables created by the migrations (and not dropped since) with a column of <see cref="PersonalColumns"/>.</summary>
    private static IEnumerable<string> PersonalTables()
    {
        var columns = new Dictionary<string, HashSet<string>>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src", "SmartParking.Server", "Migrations"), "*.sql").Order())
        {
            var sql = Comment().Replace(File.ReadAllText(file), "");
            foreach (Match table in CreateTable().Matches(sql))
                columns[table.Groups[1].Value] = table.Groups[2].Value.Split('\n').Select(l => l.Trim().Split(' ')[0]).ToHashSet();
            foreach (Match added in AddColumn().Matches(sql))
                if (columns.TryGetValue(added.Groups[1].Value, out var existing)) existing.Add(added.Groups[2].Value);
            foreach (Match dropped in DropTable().Matches(sql)) columns.Remove(dropped.Groups[1].Value);
        }
        return columns.Where(c => c.Value.Overlaps(PersonalColumns)).Select(c => c.Key);
    }

    [GeneratedRegex(@"^\| `(?<name>[a-z-]+)` \| (?<default>[^|]+)\|.*$", RegexOptions.Multiline)]
    private static partial Regex RetentionRow();

    [GeneratedRegex(@"These tables are (?<tables>[^.]+)\.")]
    private static partial Regex AuditedExports();

    [GeneratedRegex(@"--[^\n]*")]
    private static partial Regex Comment();

    [GeneratedRegex(@"create table (?:if not exists )?([a-z_0-9]+)\s*\((.*?)\n\);", RegexOptions.Singleline)]
    private static partial Regex CreateTable();

    [GeneratedRegex(@"alter table ([a-z_0-9]+) add column (?:if not exists )?([a-z_0-9]+)")]
    private static partial Regex AddColumn();

    [GeneratedRegex(@"drop table (?:if exists )?([a-z_0-9]+)")]
    private static partial Regex DropTable();
}
