using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Reservations.Rules;

/// <summary>A lot's booking rules. Amounts are in the lot's currency.</summary>
public sealed record ReservationPolicy(
    bool Reservable, int MinLeadMinutes, int MaxLeadDays, int MinDurationMinutes, int MaxDurationMinutes,
    int LateCancellationPercent, int NoShowGraceMinutes, decimal NoShowFee, decimal OverstayPerMinute)
{
    /// <summary>For lots whose operator has not set rules: bookable up to 30 days ahead for 15 minutes to a day.</summary>
    public static ReservationPolicy Default(decimal hourlyRate) => new(true, 0, 30, 15, 1440, 50, 15, Math.Round(hourlyRate, 2), Math.Round(hourlyRate * 1.5m / 60m, 4));

    public void Validate()
    {
        new Validation()
            .Check(MinLeadMinutes is >= 0 and <= 43_200, "minLeadMinutes", "must be between 0 and 43200.")
            .Check(MaxLeadDays is >= 0 and <= 366, "maxLeadDays", "must be between 0 and 366.")
            .Check(MinDurationMinutes is >= 1 and <= 10_080, "minDurationMinutes", "must be between 1 and 10080.")
            .Check(MaxDurationMinutes >= MinDurationMinutes && MaxDurationMinutes <= 43_200, "maxDurationMinutes", "must be at least minDurationMinutes and at most 43200.")
            .Check(LateCancellationPercent is >= 0 and <= 100, "lateCancellationPercent", "must be between 0 and 100.")
            .Check(NoShowGraceMinutes is >= 0 and <= 1440, "noShowGraceMinutes", "must be between 0 and 1440.")
            .Check(NoShowFee is >= 0 and <= 100_000 && decimal.Round(NoShowFee, 2) == NoShowFee, "noShowFee", "must be between 0 and 100000 with at most 2 decimals.")
            .Check(OverstayPerMinute is >= 0 and <= 1000 && decimal.Round(OverstayPerMinute, 4) == OverstayPerMinute, "overstayPerMinute", "must be between 0 and 1000 with at most 4 decimals.")
            .ThrowIfInvalid();
    }
}

public static class ReservationPolicies
{
    /// <summary>The rules of lot <c>@lotId</c>: no row means the defaults.</summary>
    public const string Select = """
        select reservable, min_lead_minutes, max_lead_days, min_duration_minutes, max_duration_minutes,
               late_cancellation_percent, no_show_grace_minutes, no_show_fee, overstay_per_minute
        from reservation_policies where lot_id = @lotId
        """;

    public static async Task<ReservationPolicy> ForLotAsync(NpgsqlConnection connection, LotFacts lot, CancellationToken ct) =>
        await connection.QuerySingleOrDefaultAsync<ReservationPolicy>(new CommandDefinition(Select, new { lotId = lot.Id }, cancellationToken: ct))
        ?? ReservationPolicy.Default(lot.BaseHourlyRate);

    public static void MapReservationPolicyEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/manage/lots/{lotId:guid}/reservation-policy").WithTags("Reservations").RequireAuthorization(Policies.Operator);
        group.MapGet("", Get);
        group.MapPut("", Put);
    }

    private static async Task<ReservationPolicy> Get(Guid lotId, ClaimsPrincipal principal, LotCatalog lots, NpgsqlDataSource db, CancellationToken ct)
    {
        var lot = await lots.FindForOperatorAsync(lotId, principal, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ForLotAsync(connection, lot, ct);
    }

    private static async Task<ReservationPolicy> Put(Guid lotId, ReservationPolicy policy, ClaimsPrincipal principal, LotCatalog lots, NpgsqlDataSource db, AuditLog audit,
        CancellationToken ct)
    {
        policy.Validate();
        var lot = await lots.FindForOperatorAsync(lotId, principal, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into reservation_policies (lot_id, tenant_id, reservable, min_lead_minutes, max_lead_days, min_duration_minutes, max_duration_minutes,
                                              late_cancellation_percent, no_show_grace_minutes, no_show_fee, overstay_per_minute)
            values (@lotId, @tenantId, @Reservable, @MinLeadMinutes, @MaxLeadDays, @MinDurationMinutes, @MaxDurationMinutes,
                    @LateCancellationPercent, @NoShowGraceMinutes, @NoShowFee, @OverstayPerMinute)
            on conflict (lot_id) do update set reservable = excluded.reservable, min_lead_minutes = excluded.min_lead_minutes,
                max_lead_days = excluded.max_lead_days, min_duration_minutes = excluded.min_duration_minutes, max_duration_minutes = excluded.max_duration_minutes,
                late_cancellation_percent = excluded.late_cancellation_percent, no_show_grace_minutes = excluded.no_show_grace_minutes,
                no_show_fee = excluded.no_show_fee, overstay_per_minute = excluded.overstay_per_minute, updated_at = now()
            """, new
        {
            lotId, tenantId = lot.TenantId, policy.Reservable, policy.MinLeadMinutes, policy.MaxLeadDays, policy.MinDurationMinutes, policy.MaxDurationMinutes,
            policy.LateCancellationPercent, policy.NoShowGraceMinutes, policy.NoShowFee, policy.OverstayPerMinute,
        }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, lot.TenantId, "reservation_policy.updated", "lot", lotId, policy, ct);
        await tx.CommitAsync(ct);
        return policy;
    }
}
