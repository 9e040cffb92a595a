using SmartParking.Server.Modules.Sensors.Mqtt;
using SmartParking.Server.Modules.Sensors.Registry;

namespace SmartParking.Server.Modules.Sensors;

public static class SensorsModule
{
    public static void AddSensorsModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DeviceCredentials>();
        builder.AddMqttTransport();
    }

    public static void MapSensorsEndpoints(this IEndpointRouteBuilder app) => app.MapSensorEndpoints();
}
