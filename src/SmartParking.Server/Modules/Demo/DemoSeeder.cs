using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Demo;

/// <summary>
/// Seeds a demo city into an empty database so the first run shows something real, and prints the demo
/// sign-ins. Passwords and the operator's authenticator key are generated per installation and kept in the
/// data directory (0600), never in the repository.
/// </summary>
public sealed class DemoSeeder(
    NpgsqlDataSource db, IServiceScopeFactory scopes, AuditLog audit, LotCatalog lots, HistoryImportService imports, EventOutbox outbox, IOptions<DemoOptions> demo, IOptions<DatabaseOptions> database,
    IHostEnvironment environment, TimeProvider time, ILogger<DemoSeeder> logger) : IHostedService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public sealed record Credentials(string OperatorEmail, string OperatorPassword, string OperatorTotpKey, string OperatorTotpUri,
        string DriverEmail, string DriverPassword, string AdminEmail, string AdminPassword, string AdminTotpKey);

    private string CredentialsFile => Path.Combine(Path.GetFullPath(database.Value.DataDirectory, environment.ContentRootPath), "demo-credentials.json");

    public async Task StartAsync(CancellationToken ct)
    {
        if (!demo.Value.Seed) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await connection.ExecuteScalarAsync<bool>("select exists (select 1 from tenants)"))
        {
            if (File.Exists(CredentialsFile)) Print(JsonSerializer.Deserialize<Credentials>(await File.ReadAllTextAsync(CredentialsFile, ct), Json)!);
            return;
        }
        var started = TimeProvider.System.GetTimestamp();
        var (lotCount, spaces) = await SeedCityAsync(connection, ct);
        var (credentials, driverId, operatorId) = await SeedUsersAsync(connection, ct);
        var cityLots = await lots.AllAsync(ct);
        var history = await DemoHistory.SeedAsync(outbox, connection, cityLots, driverId, demo.Value.HistoryDays, time.GetUtcNow(), ct);
        var occupancyHours = demo.Value.HistoryDays > 0 ? await DemoOccupancyPast.ImportAsync(imports, connection, operatorId, cityLots, time.GetUtcNow(), ct) : 0;
        Directory.CreateDirectory(Path.GetDirectoryName(CredentialsFile)!);
        await File.WriteAllTextAsync(CredentialsFile, JsonSerializer.Serialize(credentials, Json), ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(CredentialsFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        logger.LogInformation("Seeded demo city {City}: {Lots} lots, {Spaces} spaces and sensors; {Days} days of history ({Prices} hourly prices, {Sessions} sessions, {Reservations} reservations, {Payments} payments) and {OccupancyHours} hours of imported occupancy in {Elapsed:F1} s",
            DemoCity.TenantName, lotCount, spaces, demo.Value.HistoryDays, history.PriceRows, history.Sessions, history.Reservations, history.Payments, occupancyHours,
            TimeProvider.System.GetElapsedTime(started).TotalSeconds);
        Print(credentials);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private async Task<(int Lots, int Spaces)> SeedCityAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var random = new Random(2014); // fixed, so every demo install looks the same
        await using var tx = await connection.BeginTransactionAsync(ct);
        var tenantId = Guid.CreateVersion7();
        await connection.ExecuteAsync(new CommandDefinition("insert into tenants (id, name, slug, time_zone, currency) values (@tenantId, @name, @slug, @tz, @cur)",
            new { tenantId, name = DemoCity.TenantName, slug = DemoCity.TenantSlug, tz = DemoCity.TimeZone, cur = DemoCity.Currency }, tx, cancellationToken: ct));

        var allDay = new List<OpeningHours>();
        var shopHours = ShopHours();
        var spaces = new List<(Guid LotId, string Label, string Type, string? Level, string SensorKind, string Serial)>();
        var lotCount = 0;
        foreach (var g in DemoCity.Garages)
        {
            var lot = new LotRequest(tenantId, g.Name, "off_street", new AddressDto(g.Street, "Aarhus", "8000", "Denmark"), g.Lat, g.Lng, DemoCity.TimeZone,
                g.Spaces > 600 ? shopHours : allDay, ["covered", "cctv", "accessible", "ev_charging", "lift"], null, g.Rate, DemoCity.Currency, "urn:aarhus:garage:" + g.Code);
            var lotId = await LotService.InsertSeedAsync(audit, connection, tx, tenantId, lot, ct);
            lotCount++;
            var levels = Math.Max(1, g.Spaces / 150);
            for (var i = 1; i <= g.Spaces; i++)
            {
                var level = ((i - 1) % levels) - (g.Spaces > 300 ? 1 : 0);
                var label = $"{(level < 0 ? "B" + (-level) : "L" + level)}-{i:D4}";
                spaces.Add((lotId, label, SpaceType(random, i), level.ToString(System.Globalization.CultureInfo.InvariantCulture), "ultrasonic", $"AAR-{g.Code}-{i:D4}"));
            }
        }
        for (var s = 0; s < DemoCity.Streets.Length; s++)
        {
            // Within ~1.3 km of the centre, as real on-street blocks are.
            var lat = DemoCity.CentreLat + (random.NextDouble() - 0.5) * 0.022;
            var lng = DemoCity.CentreLng + (random.NextDouble() - 0.5) * 0.04;
            var street = DemoCity.Streets[s];
            var lot = new LotRequest(tenantId, street, "on_street", new AddressDto(street, "Aarhus", "8000", "Denmark"), lat, lng, DemoCity.TimeZone,
                allDay, [], null, 20m + random.Next(0, 3) * 4, DemoCity.Currency, $"urn:aarhus:street:{s + 1:D3}");
            var lotId = await LotService.InsertSeedAsync(audit, connection, tx, tenantId, lot, ct);
            lotCount++;
            var count = random.Next(12, 40);
            for (var i = 1; i <= count; i++)
                spaces.Add((lotId, $"S{s + 1:D2}-{i:D3}", i == count ? "loading" : SpaceType(random, i), null, "magnetometer", $"AAR-ST{s + 1:D2}-{i:D3}"));
        }

        var spaceIds = spaces.Select(_ => Guid.CreateVersion7()).ToArray();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into spaces (id, tenant_id, lot_id, label, type, level)
            select id, @tenantId, lot_id, label, type, level from unnest(@spaceIds, @lotIds, @labels, @types, @levels) as t(id, lot_id, label, type, level)
            """, new { tenantId, spaceIds, lotIds = spaces.Select(x => x.LotId).ToArray(), labels = spaces.Select(x => x.Label).ToArray(),
            types = spaces.Select(x => x.Type).ToArray(), levels = spaces.Select(x => x.Level).ToArray() }, tx, cancellationToken: ct));
        // Demo sensors get random secrets nobody knows; rotate one through the API to drive it by hand. Each is
        // remembered as the demo's, so demo traffic never drives a sensor an operator adds to this tenant later.
        await connection.ExecuteAsync(new CommandDefinition("""
            with seeded as (
                insert into sensors (id, tenant_id, serial, kind, space_id, lot_id, secret_hash)
                select gen_random_uuid(), @tenantId, serial, kind, space_id, lot_id, @hash from unnest(@serials, @kinds, @spaceIds, @lotIds) as t(serial, kind, space_id, lot_id)
                returning id)
            insert into demo_sensors (sensor_id) select id from seeded
            """, new { tenantId, serials = spaces.Select(x => x.Serial).ToArray(), kinds = spaces.Select(x => x.SensorKind).ToArray(), spaceIds,
            lotIds = spaces.Select(x => x.LotId).ToArray(), hash = DeviceCredentials.Hash(DeviceCredentials.NewSecret()) }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (lotCount, spaces.Count);
    }

    /// <summary>The demo accounts' sign-ins, and the demo driver's id (the demo week gives it a past).</summary>
    private async Task<(Credentials Credentials, Guid DriverId, Guid OperatorId)> SeedUsersAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var tenantId = await connection.ExecuteScalarAsync<Guid>("select id from tenants where slug = 'aarhus'");
        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var (operatorId, operatorPassword, operatorKey) = await CreateAsync(users, "operator@aarhus.demo", "Aarhus Operator", Roles.Operator, tenantId, withTotp: true);
        var (driverId, driverPassword, _) = await CreateAsync(users, "driver@aarhus.demo", "Demo Driver", Roles.Driver, null, withTotp: false);
        // The demo driver can book and pay at once: a sandbox card, where the sandbox is on (no real provider configured).
        if (scope.ServiceProvider.GetRequiredService<IOptions<PaymentsOptions>>().Value.SandboxEnabled)
        {
            await scope.ServiceProvider.GetRequiredService<IDriverWallet>().AddAsync(
                new WalletMethod { Id = Guid.CreateVersion7(), DriverId = driverId, Provider = "sandbox", Token = "sandbox_ok", Label = "Demo card" }, ct);
        }
        var (_, adminPassword, adminKey) = await CreateAsync(users, "admin@smartparking.demo", "Platform Admin", Roles.Admin, null, withTotp: true);
        return (new Credentials("operator@aarhus.demo", operatorPassword, operatorKey!, Totp.AuthenticatorUri("operator@aarhus.demo", operatorKey!),
            "driver@aarhus.demo", driverPassword, "admin@smartparking.demo", adminPassword, adminKey!), driverId, operatorId);
    }

    private static async Task<(Guid Id, string Password, string? TotpKey)> CreateAsync(UserManager<AppUser> users, string email, string name, string role, Guid? tenantId, bool withTotp)
    {
        // Upper, lower and digits guaranteed by the prefix; the rest is random.
        var password = "Demo-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant() + "X7";
        var user = new AppUser { Id = Guid.CreateVersion7(), Email = email, DisplayName = name, Role = role, TenantId = tenantId };
        AuthEndpoints.ThrowIfFailed(await users.CreateAsync(user, password));
        if (!withTotp) return (user.Id, password, null);
        AuthEndpoints.ThrowIfFailed(await users.ResetAuthenticatorKeyAsync(user));
        AuthEndpoints.ThrowIfFailed(await users.SetTwoFactorEnabledAsync(user, true));
        return (user.Id, password, await users.GetAuthenticatorKeyAsync(user));
    }

    private static string SpaceType(Random random, int index) => random.NextDouble() switch
    {
        < 0.04 => "accessible",
        < 0.10 => "ev",
        < 0.13 => "motorcycle",
        < 0.18 when index % 2 == 0 => "compact",
        _ => "standard",
    };

    private static List<OpeningHours> ShopHours() =>
        LotsVocabulary.Days.Select(d => new OpeningHours(d, "06:00", d == "sun" ? "20:00" : "24:00")).ToList();

    private void Print(Credentials c) => logger.LogWarning("""
        Demo sign-ins (development only; stored in {File}):
          operator  {OperatorEmail} / {OperatorPassword}  TOTP key {OperatorKey}  ({OperatorUri})
          driver    {DriverEmail} / {DriverPassword}
          admin     {AdminEmail} / {AdminPassword}  TOTP key {AdminKey}
        Add the TOTP key to an authenticator app (or run: oathtool --totp -b KEY) to sign in as operator or admin.
        """, CredentialsFile, c.OperatorEmail, c.OperatorPassword, c.OperatorTotpKey, c.OperatorTotpUri, c.DriverEmail, c.DriverPassword,
        c.AdminEmail, c.AdminPassword, c.AdminTotpKey);
}
