using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Simulator;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Simulator;

/// <summary>The server on a real socket, since the simulator brings its own HTTP client.</summary>
public sealed class ProvisioningServerFactory : ManageFactory
{
    protected override bool UseRealServer => true;
}

/// <summary>The simulator's provision against the real server: the bulk endpoint, batches and the saved file together.</summary>
public sealed class ProvisioningServerTests(ProvisioningServerFactory factory) : IClassFixture<ProvisioningServerFactory>
{
    [Fact]
    public async Task Provision_AFewHundredSensors_SavesSecretsThatAuthenticateEachOfThem()
    {
        var tenant = await factory.CreateTenantAsync();
        // Seeded: no TOTP code spent yet, so the simulator's sign-in with the current one is its first.
        var account = await factory.SeedOperatorAsync(tenant);
        using var client = factory.ClientFor(account);
        var lot = await client.CreateLotAsync();
        var prefix = Payloads.NewSerial("PRV");
        var csv = "label,type,sensor_serial\n" + string.Join("\n", Enumerable.Range(1, 300).Select(i => $"P{i},standard,{prefix}-{i}"));
        await (await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import", Payloads.Csv(csv))).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var path = Path.Combine(Path.GetTempPath(), $"sim-credentials-{Guid.NewGuid():N}.json");
        try
        {
            var credentials = await Provisioning.ProvisionAsync(client.BaseAddress!, account.Email, account.Password, account.TotpKey!,
                new ProvisionRequest(300, DeviceSecrets: true, path, BatchSize: 120), CancellationToken.None);

            credentials.Sensors.Select(s => s.Serial).ShouldBe(Enumerable.Range(1, 300).Select(i => $"{prefix}-{i}"), ignoreOrder: true);
            var directory = factory.Services.GetRequiredService<SensorDirectory>();
            foreach (var sensor in credentials.Sensors)
                (await directory.VerifyAsync(sensor.Serial, sensor.Secret!, CancellationToken.None)).ShouldNotBeNull(sensor.Serial);
            var saved = System.Text.Json.JsonSerializer.Deserialize<SimCredentials>(await File.ReadAllTextAsync(path), Provisioning.Json)!;
            saved.Sensors.ShouldBe(credentials.Sensors);
            (await factory.ScalarAsync<long>("select count(*) from audit_log where tenant_id = $1 and action = 'sensors.registered'", tenant)).ShouldBe(1 + 3);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
