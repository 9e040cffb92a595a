using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Lots.Zones;

/// <summary>
/// A lot's or zone's parking rules, replaced as a whole list. Each rule comes as fields or as the text cities post
/// (<see cref="ZoneRuleNotation"/>); an operator reaches only its own tenant's lots and zones.
/// </summary>
public static class ZoneRuleEndpoints
{
    public const int MaxRules = 50;

    public static void MapZoneRuleEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/manage").WithTags("Zones").RequireAuthorization(Policies.Operator);
        group.MapGet("/lots/{lotId:guid}/parking-rules", GetLot);
        group.MapPut("/lots/{lotId:guid}/parking-rules", PutLot);
        group.MapGet("/zones/{zoneId:guid}/parking-rules", GetZone);
        group.MapPut("/zones/{zoneId:guid}/parking-rules", PutZone);
    }

    private static async Task<ZoneRulesResponse> GetLot(Guid lotId, ClaimsPrincipal principal, LotCatalog lots, ZoneRuleBook book, CancellationToken ct)
    {
        var lot = await lots.FindForOperatorAsync(lotId, principal, ct);
        return new ZoneRulesResponse(lot.Id, null, lot.TimeZone, (await book.ForLotAsync(lot, ct)).LotWide);
    }

    private static async Task<ZoneRulesResponse> GetZone(Guid zoneId, ClaimsPrincipal principal, LotCatalog lots, ZoneRuleBook book, CancellationToken ct)
    {
        var lot = await lots.FindZoneLotForOperatorAsync(zoneId, principal, ct);
        var own = (await book.ForLotAsync(lot, ct)).ByZone.GetValueOrDefault(zoneId) ?? [];
        return new ZoneRulesResponse(lot.Id, zoneId, lot.TimeZone, own);
    }

    private static async Task<ZoneRulesResponse> PutLot(Guid lotId, ZoneRulesRequest request, ClaimsPrincipal principal, LotCatalog lots, NpgsqlDataSource db, AuditLog audit, CancellationToken ct)
    {
        var rules = Read(request);
        var lot = await lots.FindForOperatorAsync(lotId, principal, ct);
        await ReplaceAsync(db, audit, principal, lot, null, rules, ct);
        return new ZoneRulesResponse(lot.Id, null, lot.TimeZone, rules);
    }

    private static async Task<ZoneRulesResponse> PutZone(Guid zoneId, ZoneRulesRequest request, ClaimsPrincipal principal, LotCatalog lots, NpgsqlDataSource db, AuditLog audit, CancellationToken ct)
    {
        var rules = Read(request);
        var lot = await lots.FindZoneLotForOperatorAsync(zoneId, principal, ct);
        await ReplaceAsync(db, audit, principal, lot, zoneId, rules, ct);
        return new ZoneRulesResponse(lot.Id, zoneId, lot.TimeZone, rules);
    }

    private static async Task ReplaceAsync(NpgsqlDataSource db, AuditLog audit, ClaimsPrincipal principal, LotFacts lot, Guid? zoneId, IReadOnlyList<ZoneRule> rules, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "delete from zone_rules where lot_id = @lotId and zone_id is not distinct from @zoneId", new { lotId = lot.Id, zoneId }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into zone_rules (id, tenant_id, lot_id, zone_id, position, kind, days, from_minute, to_minute, max_stay_minutes)
            values (@Id, @TenantId, @LotId, @ZoneId, @Position, @Kind, @Days, @FromMinute, @ToMinute, @MaxStayMinutes)
            """, rules.Select((r, i) => new
        {
            Id = Guid.CreateVersion7(), lot.TenantId, LotId = lot.Id, ZoneId = zoneId, Position = i, r.Kind, Days = r.Days.ToArray(),
            r.FromMinute, r.ToMinute, r.MaxStayMinutes,
        }), tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, lot.TenantId, "parking_rules.updated", zoneId is null ? "lot" : "zone", zoneId ?? lot.Id,
            rules.Select(r => r.Text).ToList(), ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The rules of a request, each checked; every fault is reported with its place, e.g. <c>rules[1].from</c>.</summary>
    public static IReadOnlyList<ZoneRule> Read(ZoneRulesRequest request)
    {
        var v = new Validation();
        if (request.Rules is not { } inputs) throw new ValidationException("rules", "is required (an empty list removes every rule).");
        if (inputs.Count > MaxRules) throw new ValidationException("rules", $"must have at most {MaxRules} rules.");
        var rules = new List<ZoneRule>();
        for (var i = 0; i < inputs.Count; i++)
            if (ReadOne(v, inputs[i], $"rules[{i}]") is { } rule) rules.Add(rule);
        v.ThrowIfInvalid();
        return rules;
    }

    private static ZoneRule? ReadOne(Validation v, ZoneRuleInput? input, string field)
    {
        if (input is null) { v.Add(field, "is required."); return null; }
        if (input.Text is not null)
        {
            var problem = input.Kind is not null || input.Days is not null || input.From is not null || input.To is not null || input.MaxStayMinutes is not null
                ? "give the text or the fields kind, days, from, to and maxStayMinutes, not both."
                : input.Text.Length > 200 ? "must be at most 200 characters." : null;
            var (parsed, error) = problem is null ? ZoneRuleNotation.Parse(input.Text) : (null, problem);
            problem = error ?? MaxStayProblem(parsed!.Kind, parsed.MaxStayMinutes);
            if (problem is not null) { v.Add(field + ".text", problem); return null; }
            return parsed;
        }
        var kindOk = input.Kind is not null && ZoneRuleKinds.All.Contains(input.Kind);
        v.OneOf(input.Kind, field + ".kind", ZoneRuleKinds.All);
        var daysOk = input.Days is { Count: > 0 } && input.Days.All(d => LotsVocabulary.Days.Contains(d));
        v.Check(daysOk, field + ".days", $"must list one or more of: {string.Join(", ", LotsVocabulary.Days)}.");
        var from = ZoneRuleNotation.Minutes(input.From);
        var to = ZoneRuleNotation.Minutes(input.To);
        var fromOk = from is not null && from < ZoneRuleNotation.MinutesPerDay;
        v.Check(fromOk, field + ".from", "is required: a time HH:mm.");
        var toOk = to is not null && to != from;
        v.Check(toOk, field + ".to", to is null
            ? "is required: a time HH:mm (24:00 for midnight; before 'from' to run overnight)."
            : "must differ from 'from' (00:00 to 24:00 is the whole day).");
        var maxStayProblem = kindOk ? MaxStayProblem(input.Kind!, input.MaxStayMinutes) : null;
        if (maxStayProblem is not null) v.Add(field + ".maxStayMinutes", maxStayProblem);
        if (!kindOk || !daysOk || !fromOk || !toOk || maxStayProblem is not null) return null;
        return new ZoneRule(input.Kind!, LotsVocabulary.Days.Where(input.Days!.Contains).ToList(), input.From!, input.To!, input.MaxStayMinutes);
    }

    private static string? MaxStayProblem(string kind, int? maxStay) => kind switch
    {
        ZoneRuleKinds.NoParking when maxStay is not null => "a no_parking rule has no maximum stay.",
        ZoneRuleKinds.MaxStay when maxStay is not (>= 1 and <= 10_080) => "a max_stay rule needs a maximum stay between 1 and 10080 minutes.",
        ZoneRuleKinds.Loading when maxStay is not (null or (>= 1 and <= 10_080)) => "must be between 1 and 10080 minutes.",
        _ => null,
    };
}
