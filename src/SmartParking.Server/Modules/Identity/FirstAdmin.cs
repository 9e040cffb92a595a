using Dapper;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Identity;

/// <summary>
/// No endpoint makes an administrator, so a new install without the demo would have no way into the dashboard. A
/// start that finds no administrator makes one and prints its sign-in this once; the password is never logged again.
/// Runs after every other service has started, so the demo's own admin (when the demo is seeded) counts.
/// </summary>
internal sealed class FirstAdmin(IServiceScopeFactory scopes, NpgsqlDataSource db, AuditLog audit, IOptions<AuthOptions> options, ILogger<FirstAdmin> logger) : IHostedLifecycleService
{
    // Replicas starting together on a new database make one administrator between them.
    private const long AdvisoryLockKey = 0x5350_4144_4D4E;

    public Task StartedAsync(CancellationToken ct) => options.Value.CreateFirstAdmin ? CreateIfNoneAsync(ct) : Task.CompletedTask;

    private async Task CreateIfNoneAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(@key)", new { key = AdvisoryLockKey }, cancellationToken: ct));
        try
        {
            if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from users where role = @role)", new { role = Roles.Admin }, cancellationToken: ct)))
                return;
            using var scope = scopes.CreateScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var email = options.Value.FirstAdminEmail;
            var password = InitialPasswords.New(options.Value.MinPasswordLength);
            var user = new AppUser { Id = Guid.CreateVersion7(), Email = email, DisplayName = "Platform Admin", Role = Roles.Admin };
            try
            {
                AuthEndpoints.ThrowIfFailed(await users.CreateAsync(user, password));
            }
            catch (ConflictException)
            {
                logger.LogError("There is no administrator and {Email} belongs to another account; set Auth:FirstAdminEmail to a free address and start again.", email);
                return;
            }
            await audit.RecordAsync(connection, null, null, null, "admin.created_on_first_start", "user", user.Id, new { user.Email }, ct);
            logger.LogWarning("""
                There was no administrator, so one was made. Sign in at /account/login with e-mail {Email} and password {Password}
                and set up two-factor sign-in when asked; then create your tenant and its operator under /admin/tenants. This password is not shown again.
                """, email, password);
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_unlock(@key)", new { key = AdvisoryLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    public Task StartingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken ct) => Task.CompletedTask;
}
