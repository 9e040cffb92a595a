using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

public sealed class SensorTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private SensorDirectory Credentials => factory.Services.GetRequiredService<SensorDirectory>();

    [Fact]
    public async Task CreateSensor_ValidRequest_ReturnsDeviceSecretOnceThatAuthenticatesTheDevice()
    {
        using var client = factory.OperatorClient();
        var serial = Payloads.NewSerial();

        var response = await client.PostAsJsonAsync("/api/v1/manage/sensors", Payloads.Sensor(serial, "camera"));

        var created = await response.ShouldHaveStatusAsync(HttpStatusCode.Created);
        var sensor = created.GetProperty("sensor");
        var secret = created.Str("deviceSecret");
        secret.Length.ShouldBeGreaterThanOrEqualTo(40);
        response.Headers.Location!.OriginalString.ShouldBe($"/api/v1/manage/sensors/{sensor.Id()}");
        sensor.Str("serial").ShouldBe(serial);
        sensor.Str("kind").ShouldBe("camera");
        sensor.GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantId);
        (await Credentials.VerifyAsync(serial, secret, CancellationToken.None))!.SensorId.ShouldBe(sensor.Id());
        (await Credentials.VerifyAsync(serial, secret + "x", CancellationToken.None)).ShouldBeNull();

        // Never readable again, and not stored in readable form.
        var fetched = await (await client.GetAsync($"/api/v1/manage/sensors/{sensor.Id()}")).Content.ReadAsStringAsync();
        fetched.ShouldNotContain(secret);
        fetched.ShouldNotContain("deviceSecret");
        (await factory.ScalarAsync<long>("select count(*) from sensors where secret_hash = convert_to($1, 'UTF8')", secret)).ShouldBe(0);
    }

    [Fact]
    public async Task CreateSensor_DuplicateSerial_Returns409()
    {
        using var client = factory.OperatorClient();
        var serial = Payloads.NewSerial();
        await client.CreateSensorAsync(Payloads.Sensor(serial));
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors", Payloads.Sensor(serial, "ultrasonic"))).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("", "magnetometer", "serial")]
    [InlineData("has space", "magnetometer", "serial")]
    [InlineData("topic/slash", "magnetometer", "serial")]
    [InlineData("wild+card", "magnetometer", "serial")]
    [InlineData("OK-SERIAL", "lidar", "kind")]
    public async Task CreateSensor_InvalidField_Returns400NamingIt(string serial, string kind, string field)
    {
        using var client = factory.OperatorClient();
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors", Payloads.Sensor(serial, kind))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task CreateSensor_OnASpace_TakesTheLotOfTheSpace()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var space = await client.CreateSpaceAsync(lot.Id(), Payloads.Space("S-1"));

        var sensor = (await client.CreateSensorAsync(Payloads.Sensor(Payloads.NewSerial(), spaceId: space.Id()))).GetProperty("sensor");

        sensor.GetProperty("lotId").GetGuid().ShouldBe(lot.Id());
        sensor.GetProperty("spaceId").GetGuid().ShouldBe(space.Id());
        sensor.Str("spaceLabel").ShouldBe("S-1");
        (await client.GetJsonAsync($"/api/v1/manage/spaces/{space.Id()}")).Str("sensorSerial").ShouldBe(sensor.Str("serial"));
    }

    [Fact]
    public async Task CreateSensor_SpaceAndMismatchedLot_Returns400NamingLotId()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var other = await client.CreateLotAsync();
        var space = await client.CreateSpaceAsync(lot.Id());
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors", Payloads.Sensor(Payloads.NewSerial(), spaceId: space.Id(), lotId: other.Id())))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "lotId");
    }

    [Fact]
    public async Task CreateSensor_SpaceAlreadyHasASensor_Returns409()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var space = await client.CreateSpaceAsync(lot.Id());
        await client.CreateSensorAsync(Payloads.Sensor(Payloads.NewSerial(), spaceId: space.Id()));
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors", Payloads.Sensor(Payloads.NewSerial(), spaceId: space.Id())))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task RotateSecret_Existing_NewSecretWorksAndOldOneNoLonger()
    {
        using var client = factory.OperatorClient();
        var serial = Payloads.NewSerial();
        var created = await client.CreateSensorAsync(Payloads.Sensor(serial));
        var id = created.GetProperty("sensor").Id();
        var oldSecret = created.Str("deviceSecret");

        var rotated = await (await client.PostAsync($"/api/v1/manage/sensors/{id}/credentials", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var newSecret = rotated.Str("deviceSecret");
        newSecret.ShouldNotBe(oldSecret);
        rotated.GetProperty("sensor").Id().ShouldBe(id);
        (await Credentials.VerifyAsync(serial, newSecret, CancellationToken.None)).ShouldNotBeNull();
        (await Credentials.VerifyAsync(serial, oldSecret, CancellationToken.None)).ShouldBeNull();
        await (await client.PostAsync($"/api/v1/manage/sensors/{Guid.NewGuid()}/credentials", null)).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UpdateSensor_MoveToAnotherSpace_ChangesPlacementAndKeepsSecret()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var first = await client.CreateSpaceAsync(lot.Id(), Payloads.Space("M1"));
        var second = await client.CreateSpaceAsync(lot.Id(), Payloads.Space("M2"));
        var serial = Payloads.NewSerial();
        var created = await client.CreateSensorAsync(Payloads.Sensor(serial, spaceId: first.Id()));
        var id = created.GetProperty("sensor").Id();

        var updated = await (await client.PutAsJsonAsync($"/api/v1/manage/sensors/{id}", Payloads.Sensor(serial, "ultrasonic", second.Id())))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        updated.GetProperty("spaceId").GetGuid().ShouldBe(second.Id());
        updated.Str("kind").ShouldBe("ultrasonic");
        (await client.GetJsonAsync($"/api/v1/manage/spaces/{first.Id()}")).GetProperty("sensorId").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        (await Credentials.VerifyAsync(serial, created.Str("deviceSecret"), CancellationToken.None)).ShouldNotBeNull();
        await (await client.PutAsJsonAsync($"/api/v1/manage/sensors/{Guid.NewGuid()}", Payloads.Sensor(serial))).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeleteSensor_Existing_Returns204AndItsSecretStopsWorking()
    {
        using var client = factory.OperatorClient();
        var serial = Payloads.NewSerial();
        var created = await client.CreateSensorAsync(Payloads.Sensor(serial));
        var id = created.GetProperty("sensor").Id();

        (await client.DeleteAsync($"/api/v1/manage/sensors/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await client.GetAsync($"/api/v1/manage/sensors/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        (await Credentials.VerifyAsync(serial, created.Str("deviceSecret"), CancellationToken.None)).ShouldBeNull();
        // The serial is free again.
        await client.CreateSensorAsync(Payloads.Sensor(serial));
    }

    [Fact]
    public async Task ListSensors_Filters_ReturnMatchingSensorsInSerialOrder()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        var lot = await client.CreateLotAsync();
        var space = await client.CreateSpaceAsync(lot.Id());
        await client.CreateSensorAsync(Payloads.Sensor("F-CAM-1-" + Guid.NewGuid().ToString("N")[..6], "camera", lotId: lot.Id()));
        await client.CreateSensorAsync(Payloads.Sensor("F-MAG-1-" + Guid.NewGuid().ToString("N")[..6], "magnetometer", space.Id()));
        await client.CreateSensorAsync(Payloads.Sensor("F-MAG-2-" + Guid.NewGuid().ToString("N")[..6], "magnetometer"));

        var all = await client.GetJsonAsync("/api/v1/manage/sensors");
        all.GetProperty("total").GetInt64().ShouldBe(3);
        all.Items().Select(s => s.Str("serial")[..7]).ShouldBe(["F-CAM-1", "F-MAG-1", "F-MAG-2"]);
        (await client.GetJsonAsync("/api/v1/manage/sensors?kind=magnetometer")).GetProperty("total").GetInt64().ShouldBe(2);
        (await client.GetJsonAsync("/api/v1/manage/sensors?assigned=true")).Items().Select(s => s.Str("serial")[..7]).ShouldBe(["F-MAG-1"]);
        (await client.GetJsonAsync($"/api/v1/manage/sensors?lotId={lot.Id()}")).GetProperty("total").GetInt64().ShouldBe(2);
        (await client.GetJsonAsync("/api/v1/manage/sensors?q=cam")).Items().Select(s => s.Str("serial")[..7]).ShouldBe(["F-CAM-1"]);
        (await client.GetJsonAsync("/api/v1/manage/sensors?q=%25")).Items().ShouldBeEmpty();
        (await client.GetJsonAsync("/api/v1/manage/sensors?pageSize=1&page=3")).Items().Select(s => s.Str("serial")[..7]).ShouldBe(["F-MAG-2"]);
        await (await client.GetAsync("/api/v1/manage/sensors?kind=radar")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "kind");
    }
}
