using System.CommandLine;
using System.Runtime.Versioning;
using SmartParking.Server.Platform.Database;

// /proc, kill(1) and the PostgreSQL cluster's file modes: the harness measures a Linux server on Linux.
[assembly: SupportedOSPlatform("linux")]

namespace SmartParking.Bench;

[Flags]
internal enum Steps
{
    None = 0,
    IngestHttp = 1,
    IngestMqtt = 2,
    Freshness = 4,
    Nearby = 8,
    Memory = 16,
    Bookings = 32,
    Events = 64,
    Notifications = 128,
    Chat = 256,
    MultiNode = 512,
    Plates = 1024,
    Idle = 2048,
    All = IngestHttp | IngestMqtt | Freshness | Nearby | Bookings | Plates | Events | Notifications | Chat | Memory,
}

internal sealed record BenchSettings(
    int Lots, int Spaces, int Duration, int IngestClients, int Batch, int MqttConnections, int MqttInflight,
    int Samples, int BackgroundRate, int NearbyDuration, int NearbyClients, int WrkConnections, bool NoWrk, bool KeepData, string WorkDirectory, bool Trace, int? NearbyLimit, string? ServerDll,
    int BookingClients, int BookingDuration, int BookingDrivers, int ContentionClients, int ContentionRounds, bool NoRollups);

internal static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (!OperatingSystem.IsLinux())
        {
            await Console.Error.WriteLineAsync("The benchmark harness needs Linux (it reads /proc and runs PostgreSQL as a child).");
            return 2;
        }
        Option<int> Int(string name, string description, int value) => new(name) { Description = description, DefaultValueFactory = _ => value };
        var lots = Int("--lots", "Lots in the seeded city (spread over about 20 × 20 km)", 10_000);
        var spaces = Int("--spaces", "Spaces in total, each with one sensor", 100_000);
        var duration = Int("--duration", "Seconds of each ingest run (HTTP and MQTT)", 20);
        var ingestClients = Int("--ingest-clients", "Concurrent HTTP ingest clients", 8);
        var batch = Int("--batch", "Readings per HTTP batch (the server accepts at most 1000)", 1000);
        var mqttConnections = Int("--mqtt-connections", "MQTT device connections", 200);
        var mqttInflight = Int("--mqtt-inflight", "QoS 1 publishes awaiting PUBACK per connection", 8);
        var samples = Int("--samples", "Freshness samples per phase (idle, under load)", 500);
        var backgroundRate = Int("--background-rate", "Readings/s of background HTTP ingest during the loaded freshness phase", 20_000);
        var nearbyDuration = Int("--nearby-duration", "Seconds of the nearby load (harness client and wrk)", 15);
        var nearbyClients = Int("--nearby-clients", "Concurrent keep-alive clients for nearby", 64);
        var wrkConnections = Int("--wrk-connections", "wrk connections (-c)", 64);
        var bookingClients = Int("--booking-clients", "Concurrent keep-alive clients booking distinct spaces", 32);
        var bookingDuration = Int("--booking-duration", "Seconds of the distinct-space booking run (and of the book-and-pay run)", 15);
        var bookingDrivers = Int("--booking-drivers", "Drivers registered through the API for the booking benchmark", 64);
        var contentionClients = Int("--contention-clients", "Clients racing for one space in each contention round", 200);
        var contentionRounds = Int("--contention-rounds", "Contention rounds, each on its own space", 10);
        var nearbyLimit = new Option<int?>("--nearby-limit") { Description = "Pass limit=N to nearby (the server's default is 50 lots per answer); for telling lookup cost from answer size" };
        var noRollups = new Option<bool>("--no-rollups") { Description = "Run the server with Analytics:Rollups:Enabled=false, to compare ingest with and without the rollup subscriber" };
        var noWrk = new Option<bool>("--no-wrk") { Description = "Do not run wrk even when it is installed" };
        var keepData = new Option<bool>("--keep-data") { Description = "Keep the temporary directory (cluster, server log) afterwards" };
        var trace = new Option<bool>("--trace") { Description = "Profile the server with dotnet-trace during the measured ingest-http, nearby, bookings and chat phases (costs it some CPU)" };
        var serverDll = new Option<string?>("--server-dll") { Description = "Benchmark this server build instead of this repository's Release build (e.g. another branch's bin/Release/net10.0/SmartParking.Server.dll)" };
        var workDir = new Option<string>("--work-dir") { Description = "Where the temporary directory is created", DefaultValueFactory = _ => Path.GetTempPath() };
        Option[] options = [lots, spaces, duration, ingestClients, batch, mqttConnections, mqttInflight, samples, backgroundRate, nearbyDuration, nearbyClients, wrkConnections, nearbyLimit, noWrk, keepData, workDir, trace, serverDll,
            bookingClients, bookingDuration, bookingDrivers, contentionClients, contentionRounds, noRollups];

        var root = new RootCommand("SmartParking benchmark harness: starts PostgreSQL, seeds a city, runs the Release server and measures it against the design targets.");
        (string Name, string Description, Steps Steps)[] commands =
        [
            ("all", "Every benchmark in order, then a summary table", Steps.All),
            ("ingest-http", "HTTP batch ingest throughput, verified against the database", Steps.IngestHttp),
            ("ingest-mqtt", "MQTT QoS 1 ingest throughput (skipped when the server has no MQTT listener)", Steps.IngestMqtt),
            ("freshness", "Reading → SSE event latency, idle and under ingest load", Steps.Freshness),
            ("nearby", "Nearby availability throughput and latency (harness client, and wrk when installed)", Steps.Nearby),
            ("bookings", "Reservations: bookings/s on distinct spaces, book-and-pay, and 200 clients racing for one space", Steps.Bookings),
            ("plates", "Field encryption: the protector's cost per value, and enforcement plate lookups/s through the blind index (after bookings, the plates they booked)", Steps.Plates),
            ("encryption", "The cost of field encryption: bookings (each with a plate) then plate lookups", Steps.Bookings | Steps.Plates),
            ("events", "Domain event dispatch: events/s from commit to handlers (durable and every-node) and the lag's p99", Steps.Events),
            ("notifications", "End to end: a meter session entering its last 15 minutes → the driver's e-mail accepted by a local SMTP server", Steps.Notifications),
            ("chat", "Chat assistant: messages/s and reply latency through Rasa's REST channel (users on --nearby-clients, --nearby-duration s)", Steps.Chat),
            ("memory", "Server resident memory with the whole city loaded", Steps.Memory),
            ("idle", "What the city costs with no traffic: server and PostgreSQL CPU over two minutes of scheduled jobs alone", Steps.Idle),
            ("multinode", "Failover: 3 nodes behind HAProxy under ingest and SSE, one SIGKILLed (needs haproxy); readings lost, SSE gap, job takeover, booking winners", Steps.MultiNode),
        ];
        foreach (var (name, description, steps) in commands)
        {
            var command = new Command(name, description);
            foreach (var option in options) command.Options.Add(option);
            command.SetAction((parse, ct) => RunAsync(new BenchSettings(
                parse.GetValue(lots), parse.GetValue(spaces), parse.GetValue(duration), parse.GetValue(ingestClients), parse.GetValue(batch),
                parse.GetValue(mqttConnections), parse.GetValue(mqttInflight), parse.GetValue(samples), parse.GetValue(backgroundRate),
                parse.GetValue(nearbyDuration), parse.GetValue(nearbyClients), parse.GetValue(wrkConnections), parse.GetValue(noWrk),
                parse.GetValue(keepData), parse.GetValue(workDir)!, parse.GetValue(trace), parse.GetValue(nearbyLimit), parse.GetValue(serverDll),
                parse.GetValue(bookingClients), parse.GetValue(bookingDuration), parse.GetValue(bookingDrivers), parse.GetValue(contentionClients),
                parse.GetValue(contentionRounds), parse.GetValue(noRollups)), steps, args, ct));
            root.Subcommands.Add(command);
        }
        root.Subcommands.Add(PricingSimCommand(args));
        root.Subcommands.Add(ForecastCommand(args));
        return await root.Parse(args).InvokeAsync();
    }

    /// <summary>In-process and deterministic, so unlike the others it needs no PostgreSQL or server.</summary>
    private static Command PricingSimCommand(string[] args)
    {
        var d = SimSettings.Default;
        var data = new Option<string?>("--data") { Description = $"The Aarhus parking CSV (default {AarhusShapes.DefaultRelativePath} from the repository root)" };
        var elasticity = new Option<double>("--elasticity") { Description = "Price elasticity of arrivals (literature: about -0.1 to -0.6)", DefaultValueFactory = _ => d.Elasticity };
        var baseRate = new Option<decimal>("--base-rate") { Description = "Base hourly rate in DKK (the static price)", DefaultValueFactory = _ => d.BaseRate };
        var days = new Option<int>("--days") { Description = "Weekdays replayed in sequence (the engine's rate carries over)", DefaultValueFactory = _ => d.Days };
        var reportDays = new Option<int>("--report-days") { Description = "Last days counted in the figures", DefaultValueFactory = _ => d.ReportDays };
        var peakDemand = new Option<double>("--peak-demand") { Description = "Demand at the busiest time of day, as a multiple of capacity, at the base price", DefaultValueFactory = _ => d.PeakDemand };
        var stay = new Option<double>("--stay-hours") { Description = "Average stay in hours (cars leave faster where the shape falls faster)", DefaultValueFactory = _ => d.StayHours };
        var step = new Option<decimal>("--step-percent") { Description = "stepPercent of the tuned engine policy (the default policy, also shown, has 10)", DefaultValueFactory = _ => d.StepPercent };
        var floor = new Option<decimal?>("--floor") { Description = "Floor in DKK/h of the tuned engine policy (default half the base rate; the default policy has none)" };
        var command = new Command("pricing-sim", "Pricing simulation on replayed Aarhus weekdays: static vs time-of-day vs the pricing engine (no server needed)");
        foreach (var o in new Option[] { data, elasticity, baseRate, days, reportDays, peakDemand, stay, step, floor }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var settings = new SimSettings(parse.GetValue(data), parse.GetValue(elasticity), parse.GetValue(baseRate), parse.GetValue(days), parse.GetValue(reportDays),
                parse.GetValue(peakDemand), parse.GetValue(stay), parse.GetValue(step), parse.GetValue(floor));
            if (settings.Invalid() is { } problem)
            {
                Console.Error.WriteLine($"Invalid options: {problem}.");
                return 2;
            }
            var output = Console.Out;
            output.WriteLine($"SmartParking pricing simulation, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
            var report = new Report();
            var ran = PricingSimulation.RunInto(settings, report, output);
            output.WriteLine();
            output.WriteLine("== Summary");
            output.WriteLine(report.Render(Machine.Describe(), "in-process simulation, deterministic (no randomness)", "dotnet run -c Release --project bench/SmartParking.Bench -- " + string.Join(' ', args)));
            return ran ? 0 : 1;
        });
        return command;
    }

    /// <summary>In process too: the backtest figures and the training time for a city of many lots.</summary>
    private static Command ForecastCommand(string[] args)
    {
        var data = new Option<string?>("--data") { Description = $"Occupancy history CSV for the backtest (default {AarhusShapes.DefaultRelativePath})" };
        var lots = new Option<int>("--lots") { Description = "Lots in the synthetic city trained on", DefaultValueFactory = _ => 10_000 };
        var days = new Option<int>("--days") { Description = "Days of hourly history per synthetic lot", DefaultValueFactory = _ => 120 };
        var holdout = new Option<int>("--holdout-days") { Description = "Backtest holdout in days", DefaultValueFactory = _ => 28 };
        var command = new Command("forecast", "Forecast: the backtest on the Aarhus series and the training time for a city of many lots (no server needed)");
        foreach (var o in new Option[] { data, lots, days, holdout }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var settings = new ForecastBench.Settings(parse.GetValue(data), parse.GetValue(lots), parse.GetValue(days), parse.GetValue(holdout));
            if (settings.Lots < 1 || settings.Days < 42 || settings.HoldoutDays is < 1 or > 30)
            {
                Console.Error.WriteLine("Invalid options: need lots ≥ 1, days ≥ 42 and 1 ≤ holdout-days ≤ 30.");
                return 2;
            }
            var output = Console.Out;
            output.WriteLine($"SmartParking forecast benchmark, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
            var load = Machine.LoadAverage();
            var report = new Report();
            var ran = ForecastBench.RunInto(settings, report, output);
            output.WriteLine();
            output.WriteLine("== Summary");
            output.WriteLine(report.Render(Machine.Describe(), $"load average {load} before, {Machine.LoadAverage()} after", "dotnet run -c Release --project bench/SmartParking.Bench -- " + string.Join(' ', args)));
            return ran ? 0 : 1;
        });
        return command;
    }

    private static async Task<int> RunAsync(BenchSettings settings, Steps steps, string[] args, CancellationToken ct)
    {
        if (settings.Lots < 1 || settings.Spaces < settings.Lots || settings.Batch is < 1 or > 1000 || settings.Duration < 1 || settings.IngestClients < 1 ||
            settings.Samples < 1 || settings.NearbyClients < 1 || settings.NearbyLimit is < 1 or > 200 || settings.MqttConnections < 1 || settings.MqttInflight < 1 ||
            settings.BookingClients < 1 || settings.BookingDuration < 1 || settings.BookingDrivers < 1 || settings.ContentionClients < 2 || settings.ContentionRounds < 1)
        {
            await Console.Error.WriteLineAsync("Invalid options: need lots ≥ 1, spaces ≥ lots, 1 ≤ batch ≤ 1000, and positive durations and counts.");
            return 2;
        }
        var output = Console.Out;
        var machine = Machine.Describe();
        var loadBefore = Machine.LoadAverage();
        var command = "dotnet run -c Release --project bench/SmartParking.Bench -- " + string.Join(' ', args);
        output.WriteLine($"SmartParking benchmarks, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        output.WriteLine($"Machine: {machine}");
        output.WriteLine($"Load average before: {loadBefore} (other builds on this box compete for the same cores)");
        var report = new Report();
        var exitCode = 0;
        if (steps == Steps.All)
        {
            output.WriteLine("== Pricing simulation (in-process, default options)");
            PricingSimulation.RunInto(SimSettings.Default, report, output);
        }
        try
        {
            await using var env = await BenchEnvironment.StartAsync(settings, output, ct);
            var context = new BenchContext(env, settings, report, output, new UniqueClock());
            report.Note($"PostgreSQL {env.PostgresVersion} (fsync on, local disk, pg_stat_statements loaded), server: Release build as a child process; load generator, server and PostgreSQL share the same {Environment.ProcessorCount} cores.");
            report.Note($"City: {env.City.Lots.Length:N0} lots, {env.City.Spaces:N0} spaces and sensors, one tenant, over about 20 × 20 km.");

            if (steps.HasFlag(Steps.Memory)) await MemoryBench.RunAsync(context, "after start", ct);
            if (steps.HasFlag(Steps.Idle)) await IdleBench.RunAsync(context, ct);
            if (steps.HasFlag(Steps.IngestHttp)) await IngestHttpBench.RunAsync(context, ct);
            if (steps.HasFlag(Steps.IngestMqtt)) await IngestMqttBench.RunAsync(context, ct);
            if (steps.HasFlag(Steps.Freshness)) await FreshnessBench.RunAsync(context, ct);
            if (steps.HasFlag(Steps.Nearby)) await NearbyBench.RunAsync(context, ct);
            if (steps.HasFlag(Steps.Bookings)) await BookingBench.RunAsync(context, ct);
            if (steps.HasFlag(Steps.Plates)) await PlateLookupBench.RunAsync(context, ct);
            if (steps.HasFlag(Steps.Events)) await EventBench.RunAsync(context, ct);
            if (steps.HasFlag(Steps.Notifications)) await NotificationBench.RunAsync(context, ct);
            if (steps.HasFlag(Steps.Chat)) await ChatBench.RunAsync(context, ct);
            // Last: it kills the harness's server on purpose.
            if (steps.HasFlag(Steps.MultiNode)) await MultiNodeBench.RunAsync(context, ct);
            if (steps.HasFlag(Steps.Memory) && steps != Steps.Memory) await MemoryBench.RunAsync(context, "after the load tests", ct);
            if (!steps.HasFlag(Steps.MultiNode) && env.Server.HasExited) throw new InvalidOperationException($"The server exited during the run. Last lines of its log:\n{env.Server.Tail(30)}");
        }
        catch (PostgresNotInstalledException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Interrupted; the server and PostgreSQL were stopped.");
            exitCode = 130;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or HttpRequestException or Npgsql.NpgsqlException)
        {
            await Console.Error.WriteLineAsync($"Benchmark failed: {e.Message}");
            await Console.Error.WriteLineAsync(e.StackTrace);
            exitCode = 1;
        }

        // Whatever was measured before a failure is still worth seeing.
        output.WriteLine();
        output.WriteLine(exitCode == 0 ? "== Summary" : "== Summary (incomplete: the run stopped early)");
        output.WriteLine(report.Render(machine, $"load average {loadBefore} before, {Machine.LoadAverage()} after (1/5/15 min)", command));
        output.WriteLine("Ratio = measured / target: ≥ 1 meets a throughput target, ≤ 1 meets a latency or memory limit.");
        return exitCode;
    }
}
