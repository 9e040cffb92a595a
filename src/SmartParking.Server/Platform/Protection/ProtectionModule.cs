using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using SmartParking.Server.Platform.Database;

namespace SmartParking.Server.Platform.Protection;

public static class ProtectionModule
{
    /// <summary>
    /// Field encryption at rest: the keys (checked now, so a bad one stops start-up before anything else starts), the
    /// protector modules seal their personal fields with, the data-protection key ring's encryptor, and the sweep that
    /// seals old clear text and re-seals after a key rotation.
    /// </summary>
    public static void AddFieldEncryption(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(ProtectionOptions.Section);
        builder.Services.Configure<ProtectionOptions>(section);
        var options = section.Get<ProtectionOptions>() ?? new ProtectionOptions();
        var database = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var keys = ProtectionKeys.Load(options, builder.Environment, Path.GetFullPath(database.DataDirectory, builder.Environment.ContentRootPath));
        var protector = new FieldProtector(keys);
        builder.Services.AddSingleton(protector);
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(new ConfigureOptions<KeyManagementOptions>(o => o.XmlEncryptor = new KeyRingEncryptor(protector)));
        builder.Services.AddSingleton<ProtectionSweep>();
        builder.Services.AddHostedService<ProtectionStartupCheck>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ProtectionSweep>());
    }
}
