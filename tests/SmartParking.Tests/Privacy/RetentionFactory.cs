using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Privacy;

/// <summary>
/// Bookings and sessions with an administrator, retention batches of two rows (so every rule loops), and one extra rule
/// that always fails, to show that a failing rule is reported and stops nothing else.
/// </summary>
public sealed class RetentionFactory : BookingFactory
{
    public const int BatchSize = 2;

    public TestAccount Admin { get; private set; } = null!;

    /// <summary>A rule that a test can hold inside a run, to see a second run refused meanwhile; open otherwise.</summary>
    public GateRule Gate { get; } = new();

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Privacy:Retention:BatchSize"] = BatchSize.ToString(CultureInfo.InvariantCulture);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IRetentionRule, FailingChatRule>();
            services.AddSingleton<IRetentionRule>(Gate);
        });
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Admin = await CreateAdminAsync();
        // The scheduled job starts its first daily run as the server starts; wait until it has finished (a run of the API's
        // waits for it), so it never takes what a test made due.
        await Poll.UntilAsync(() => ScalarAsync<long>("select count(*) from retention_runs"), n => n > 0, IngestKit.Eventually, "the start-up retention run");
        await RunRetentionAsync();
    }

    public HttpClient AdminClient() => ClientFor(Admin);

    /// <summary>Runs retention now through the API; removed and pseudonymised per data class, with each class's error.</summary>
    public async Task<Dictionary<string, (long Removed, long Pseudonymised, string? Error)>> RunRetentionAsync()
    {
        using var admin = AdminClient();
        // One run at a time: a run still going answers 409 until it is done.
        var response = await Poll.UntilAsync(() => admin.PostAsync("/api/v1/manage/retention/runs", null), r => r.StatusCode != HttpStatusCode.Conflict,
            IngestKit.Eventually, "the running retention run to finish");
        var run = await response.ShouldHaveStatusAsync(HttpStatusCode.OK);
        return run.GetProperty("classes").EnumerateArray().ToDictionary(c => c.Str("dataClass"),
            c => (c.GetProperty("removed").GetInt64(), c.GetProperty("pseudonymised").GetInt64(),
                c.GetProperty("error").ValueKind == JsonValueKind.Null ? null : c.Str("error")));
    }

    /// <summary>A stopped meter session of a new driver for <paramref name="plate"/>, in the lot.</summary>
    public async Task<(Guid SessionId, HttpClient Driver)> StoppedSessionAsync(Guid lotId, string plate)
    {
        var (_, driver) = await DriverAsync();
        var id = (await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate, durationMinutes = 30 })).ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        await (await driver.PostAsync($"/api/v1/sessions/{id}/stop", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        return (id, driver);
    }

    /// <summary>Moves a session's times <paramref name="age"/> into the past, as if it had happened then.</summary>
    public Task AgeSessionAsync(Guid id, TimeSpan age) => ExecuteAsync("""
        update meter_sessions set started_at = started_at - $2, ends_at = ends_at - $2, stopped_at = stopped_at - $2, created_at = created_at - $2
        where id = $1
        """, id, age);

    public sealed class GateRule : IRetentionRule
    {
        private TaskCompletionSource? _closed;

        public TaskCompletionSource Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string DataClass => RetentionClasses.AuditLog.Name;

        /// <summary>The next run waits in this rule until <see cref="Open"/>.</summary>
        public void Close()
        {
            Entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public void Open() => _closed?.TrySetResult();

        public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct)
        {
            Entered.TrySetResult();
            if (_closed is { } closed) await closed.Task.WaitAsync(ct);
            return default;
        }
    }

    private sealed class FailingChatRule : IRetentionRule
    {
        public string DataClass => RetentionClasses.ChatTranscripts.Name;

        public Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct) =>
            throw new InvalidOperationException("the chat archive is unreachable");
    }
}
