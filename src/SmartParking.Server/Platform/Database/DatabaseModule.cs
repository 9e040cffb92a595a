using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SmartParking.Server.Platform.Database;

public static class DatabaseModule
{
    public const string ConnectionStringName = "Parking";

    /// <summary>
    /// Resolves the connection string, starting a private PostgreSQL cluster when none is configured,
    /// and registers the data source, migrations and database health checks.
    /// </summary>
    public static async Task AddDatabaseAsync(this WebApplicationBuilder builder)
    {
        DapperSetup.Configure();
        builder.Services.AddOptions<DatabaseOptions>()
            .Bind(builder.Configuration.GetSection(DatabaseOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var dataDirectory = Path.GetFullPath(options.DataDirectory, builder.Environment.ContentRootPath);
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            using var loggerFactory = LoggerFactory.Create(logging => logging.AddConfiguration(builder.Configuration.GetSection("Logging")).AddSimpleConsole());
            var local = new LocalPostgres(dataDirectory, loggerFactory.CreateLogger<LocalPostgres>(), options.PostgresBinDirectory, portsInUse: HostPorts(builder.Configuration));
            var adminConnection = await local.StartAsync(CancellationToken.None);
            connectionString = await EnsureDatabaseAsync(adminConnection, options.EmbeddedDatabaseName);
            builder.Services.AddSingleton(local);
            // Registered before every other hosted service so it is stopped last.
            builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, LocalPostgresLifetime>());
        }

        NpgsqlConnectionStringBuilder csb;
        try
        {
            csb = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = options.MaxPoolSize, ApplicationName = "smartparking" };
        }
        catch (ArgumentException e)
        {
            // The message names the keyword at fault, never a value (the password).
            throw new Hosting.StartupFailure($"ConnectionStrings:{ConnectionStringName} is not a valid PostgreSQL connection string ({e.Message}): " +
                $"fix it (env ConnectionStrings__{ConnectionStringName}), e.g. Host=db;Database=smartparking;Username=app;Password=..., or unset it to run the embedded PostgreSQL.");
        }
        // Hot statements (bookings, ingest) are parsed and planned once per connection instead of on every call;
        // measured as half the insert time of a booking. A connection string that sets it wins.
        if (csb.MaxAutoPrepare == 0) csb.MaxAutoPrepare = 50;
        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(csb.ConnectionString).Build());
        builder.Services.AddSingleton<Migrator>();
        builder.Services.AddSingleton<StartupState>();
        builder.Services.AddHostedService<MigrationHostedService>();
        builder.Services.AddSingleton<PostgresNotifications>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PostgresNotifications>());
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<StartupHealthCheck>("startup", tags: ["startup", "ready"]);
    }

    /// <summary>
    /// Ports this host is configured to listen on (its URLs and any *:Port setting). Each is free until the host binds it,
    /// so the embedded PostgreSQL, which picks a free port first, must not take one of them.
    /// </summary>
    internal static IReadOnlySet<int> HostPorts(IConfiguration configuration)
    {
        var ports = new HashSet<int>();
        foreach (var url in (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (Uri.TryCreate(url.Replace("://*", "://localhost").Replace("://+", "://localhost"), UriKind.Absolute, out var uri)) ports.Add(uri.Port);
        foreach (var (key, value) in configuration.AsEnumerable())
            if (key.EndsWith(":Port", StringComparison.OrdinalIgnoreCase) && int.TryParse(value, out var port)) ports.Add(port);
        return ports;
    }

    private static async Task<string> EnsureDatabaseAsync(string adminConnectionString, string databaseName)
    {
        await using (var connection = new NpgsqlConnection(adminConnectionString))
        {
            await connection.OpenAsync();
            await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = $1", connection) { Parameters = { new() { Value = databaseName } } };
            if (await exists.ExecuteScalarAsync() is null)
            {
                await using var create = new NpgsqlCommand($"create database \"{databaseName.Replace("\"", "\"\"")}\"", connection);
                await create.ExecuteNonQueryAsync();
            }
        }
        return new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = databaseName }.ConnectionString;
    }

    private sealed class LocalPostgresLifetime(LocalPostgres local) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => local.StopAsync(CancellationToken.None);
    }

    private sealed class MigrationHostedService(Migrator migrator, StartupState state) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await migrator.MigrateAsync(cancellationToken);
            state.MigrationsApplied = true;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class DatabaseHealthCheck(Migrator migrator) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var pending = await migrator.PendingAsync(cancellationToken);
                return pending.Count == 0
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy($"{pending.Count} migrations pending");
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy("database unreachable: " + e.Message);
            }
        }
    }

    private sealed class StartupHealthCheck(StartupState state) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(state.Started ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("starting"));
    }
}

/// <summary>What start-up has finished, for the startup probe.</summary>
public sealed class StartupState
{
    public volatile bool MigrationsApplied;
    public volatile bool Started;
}
