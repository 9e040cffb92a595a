using System.Globalization;
using System.Security.Claims;
using System.Text;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Demo;

/// <summary>
/// Eight weeks of the demo city's hourly occupancy, imported the way an operator brings the history of a previous
/// system (the history import, as the demo operator), so the first forecast model is trained within a minute of the
/// first start and the lot pages, the drivers' hints and pricing have a forecast to show.
/// </summary>
internal static class DemoOccupancyPast
{
    public const int Days = 56;

    public static async Task<int> ImportAsync(HistoryImportService imports, NpgsqlConnection connection, Guid operatorId, IReadOnlyList<LotFacts> lots,
        DateTimeOffset now, CancellationToken ct)
    {
        if (lots.Count == 0) return 0;
        var capacity = (await connection.QueryAsync<(Guid LotId, int Spaces)>(new CommandDefinition(
            "select lot_id, count(*)::int from spaces where lot_id = any(@ids) group by lot_id", new { ids = lots.Select(l => l.Id).ToArray() }, cancellationToken: ct)))
            .ToDictionary(c => c.LotId, c => c.Spaces);
        var random = new Random(2013); // fixed, so every demo install has the same past
        var end = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour), TimeSpan.Zero);
        var csv = new StringBuilder("lot,capacity,occupied,observed_at\n");
        foreach (var lot in lots.OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            if (capacity.GetValueOrDefault(lot.Id) is not (> 0 and var size)) continue;
            var zone = TimeZoneInfo.FindSystemTimeZoneById(lot.TimeZone);
            var popularity = 0.7 + random.NextDouble() * 0.55;
            for (var hour = end.AddDays(-Days); hour < end; hour = hour.AddHours(1))
            {
                var share = Math.Clamp(DemoCity.Occupancy(TimeZoneInfo.ConvertTime(hour, zone).DateTime) * popularity + (random.NextDouble() - 0.5) * 0.08, 0, 0.99);
                csv.Append(CultureInfo.InvariantCulture, $"{lot.Id},{size},{Math.Round(size * share)},{hour:yyyy-MM-ddTHH:mm:ssZ}\n");
            }
        }
        var demoOperator = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(AppClaims.Subject, operatorId.ToString()), new Claim(AppClaims.Email, "operator@aarhus.demo"),
            new Claim(AppClaims.Role, Roles.Operator), new Claim(AppClaims.Tenant, lots[0].TenantId.ToString()),
        ], "demo", AppClaims.Email, AppClaims.Role));
        await using var body = new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString()));
        var report = await imports.ImportAsync(demoOperator, null, body, "demo-occupancy-history.csv", null, ct);
        return report.HoursWritten;
    }
}
