using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Demo;

/// <summary>
/// Gives the demo city its guide (Denmark for addresses, the places of Aarhus drivers search for) once, after the seeder
/// (hosted services start in order); a guide the operator has since edited is left alone. Also covers installations
/// seeded before guides existed.
/// </summary>
public sealed class DemoCityGuide(NpgsqlDataSource db, CityGuides guides, IOptions<DemoOptions> demo) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        if (!demo.Value.Seed) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        var tenantId = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            "select id from tenants t where slug = @slug and not exists (select 1 from city_guides g where g.tenant_id = t.id)",
            new { slug = DemoCity.TenantSlug }, cancellationToken: ct));
        if (tenantId is { } id) await guides.SaveAsync(id, new CityGuideRequest(DemoCity.CountryCodes, DemoCity.Places), principal: null, ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
