using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Database;

namespace SmartParking.Server.Platform.Hosting;

/// <summary>A start-up problem whose message already says what to change; Program prints it as it is.</summary>
public sealed class StartupFailure(string message) : Exception(message);

/// <summary>
/// Turns the ways start-up fails for a reason outside the code (a port taken, PostgreSQL away, a bad setting) into one
/// line naming the setting to change, so an operator never has to read a stack trace to start the server.
/// </summary>
public static partial class StartupErrors
{
    /// <summary>The line to print for <paramref name="error"/>, or null when it is not one of these (a bug keeps its stack trace).</summary>
    public static string? Describe(Exception error, IConfiguration configuration)
    {
        foreach (var e in Chain(error))
        {
            switch (e)
            {
                case StartupFailure or PostgresNotInstalledException:
                    return e.Message;
                case OptionsValidationException invalid:
                    return "Invalid setting: " + string.Join("; ", invalid.Failures.Select(f => Setting(invalid.OptionsType, f)));
                case AddressInUseException:
                    return PortInUse(error, configuration);
                case NpgsqlException database:
                    return DatabaseUnreachable(database, configuration);
            }
        }
        return null;
    }

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain)) yield return inner;
        }
    }

    /// <summary>"Mqtt:Port: The field Port must be between 0 and 65535." from a data-annotation failure; other failures as they are.</summary>
    private static string Setting(Type optionsType, string failure)
    {
        var section = optionsType.GetField("Section")?.GetRawConstantValue() as string;
        var annotation = AnnotationFailure().Match(failure);
        if (annotation.Success)
            return $"{(section is null ? "" : section + ":")}{annotation.Groups["member"].Value}: {annotation.Groups["error"].Value}";
        return section is null ? failure : $"{section}: {failure}";
    }

    private static string PortInUse(Exception error, IConfiguration configuration)
    {
        var bound = BindAddress().Match(error.Message);
        var address = bound.Success ? bound.Groups["address"].Value : "a configured address";
        var port = bound.Success ? int.Parse(bound.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
        var mqtt = configuration.GetSection("Mqtt");
        if (mqtt.GetValue("Enabled", true))
        {
            if (port == mqtt.GetValue("Port", 1883))
                return $"MQTT port {port} is in use (often a local mosquitto): set Mqtt:Port (--Mqtt:Port=..., env Mqtt__Port) to a free port, or Mqtt:Enabled to false to run without MQTT.";
            if (!string.IsNullOrWhiteSpace(mqtt["CertificatePath"]) && port == mqtt.GetValue("TlsPort", 8883))
                return $"MQTT TLS port {port} is in use: set Mqtt:TlsPort (--Mqtt:TlsPort=..., env Mqtt__TlsPort) to a free port.";
        }
        return $"HTTP address {address} is in use (another server running?): set --urls (or ASPNETCORE_URLS) to a free port, e.g. --urls http://localhost:5081.";
    }

    private static string DatabaseUnreachable(NpgsqlException error, IConfiguration configuration)
    {
        var configured = configuration.GetConnectionString(DatabaseModule.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(configured))
            return $"The embedded PostgreSQL did not answer: {error.Message} (its cluster is under Database:DataDirectory).";
        // Never the password: only where the server tried to go.
        var target = new NpgsqlConnectionStringBuilder(configured);
        return $"PostgreSQL at {target.Host}:{target.Port} (database {target.Database}, user {target.Username}) refused or did not answer: {OneLine(error.Message)}. " +
            "Check ConnectionStrings:Parking (env ConnectionStrings__Parking), or unset it to run the embedded PostgreSQL.";
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.');

    [GeneratedRegex(@"members: '(?<member>[^']*)' with the error: '(?<error>.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex AnnotationFailure();

    [GeneratedRegex(@"address (?<address>\S*?:(?<port>\d+))")]
    private static partial Regex BindAddress();
}

/// <summary>How far the host's start got: whether hosted services began to start, and whether it finished.</summary>
public sealed class StartupProgress
{
    public volatile bool ServicesStarting;
    public volatile bool Started;
}

public static class StartupErrorReporting
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>
    /// Until the host has started, its own "Hosting failed to start" error (logged with the stack trace) is left to
    /// Program, which prints the one line of <see cref="StartupErrors"/> instead, or rethrows what it does not know.
    /// </summary>
    public static void AddStartupErrorReporting(this WebApplicationBuilder builder)
    {
        var progress = new StartupProgress();
        builder.Services.AddSingleton(progress);
        // The first hosted service, so it starts before any other.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, ProgressTracker>());
        builder.Logging.AddFilter(HostCategory, level => level >= LogLevel.Warning && (level < LogLevel.Error || progress.Started));
    }

    private sealed class ProgressTracker(StartupProgress progress, IHostApplicationLifetime lifetime) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            progress.ServicesStarting = true;
            lifetime.ApplicationStarted.Register(() => progress.Started = true);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
