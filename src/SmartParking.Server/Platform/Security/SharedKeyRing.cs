using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SmartParking.Server.Platform.Security;

/// <summary>
/// Keeps ASP.NET Core's data-protection key ring in PostgreSQL, the only shared state between replicas, so a cookie or
/// antiforgery token made on one node is read on another and survives restarts.
/// </summary>
public static class SharedKeyRing
{
    public static void AddSharedKeyRing(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("SmartParking");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new PostgresXmlRepository(provider.GetRequiredService<NpgsqlDataSource>())));
    }

    private sealed class PostgresXmlRepository(NpgsqlDataSource db) : IXmlRepository
    {
        // The interface is synchronous; it is called rarely (key ring refresh, once a day at most, and key creation).
        public IReadOnlyCollection<XElement> GetAllElements()
        {
            using var connection = db.OpenConnection();
            return connection.Query<string>("select xml from data_protection_keys order by created_at").Select(XElement.Parse).ToList();
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            using var connection = db.OpenConnection();
            connection.Execute("insert into data_protection_keys (name, xml) values (@friendlyName, @xml) on conflict (name) do nothing",
                new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
        }
    }
}
