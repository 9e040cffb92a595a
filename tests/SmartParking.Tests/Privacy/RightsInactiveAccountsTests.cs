using SmartParking.Server.Modules.Privacy;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Privacy.Rights;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Notifications;
using Xunit;

namespace SmartParking.Tests.Privacy;

/// <summary>
/// Inactive driver accounts: warned by e-mail 30 days (Privacy:InactiveWarningDays) before the 3 years
/// (Privacy:InactiveAccountDays) run out, then erased through the same path as a driver's own request. Each test moves its
/// own accounts' last activity and applies the rule at "now", so other tests' fresh accounts are never in reach.
/// </summary>
public sealed class RightsInactiveAccountsTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    private static readonly TimeSpan ThreeYears = TimeSpan.FromDays(3 * 365);

    private InactiveAccounts Rule => factory.Services.GetRequiredService<InactiveAccounts>();

    private DateTimeOffset Now => factory.Clock.GetUtcNow();

    private Task LastActiveAsync(TestAccount driver, DateTimeOffset at) =>
        factory.ExecuteAsync("update users set last_active_at = $1 where id = $2", at, driver.Id);

    [Fact]
    public async Task Apply_InTheWarningWindow_WarnsOnceByEmail_ThenErasesWhenTheNoticeHasRun()
    {
        var driver = await factory.RegisterDriverAsync();
        await LastActiveAsync(driver, Now - ThreeYears + TimeSpan.FromDays(10));

        (await Rule.ApplyAsync(Now, CancellationToken.None)).Warned.ShouldBeGreaterThanOrEqualTo(1);
        (await factory.RowsForAsync(driver.Email)).ShouldHaveSingleItem();
        await factory.SendDueAsync();
        (await factory.Smtp.WaitForAsync(driver.Email)).Subject.ShouldStartWith("Your SmartParking account will be deleted on");
        (await Rule.ApplyAsync(Now.AddDays(1), CancellationToken.None)).ShouldNotBeNull();
        (await factory.RowsForAsync(driver.Email)).Count.ShouldBe(1, "warned once for one period of inactivity");
        (await factory.ScalarAsync<long>("select count(*) from privacy_erasures where user_id = $1", driver.Id)).ShouldBe(0, "the notice has not run yet");

        var outcome = await Rule.ApplyAsync(Now.AddDays(31), CancellationToken.None);

        outcome.Erased.ShouldBeGreaterThanOrEqualTo(1);
        (await factory.ScalarAsync<string>("select requested_by from privacy_erasures where user_id = $1", driver.Id)).ShouldBe("inactivity");
        using var anonymous = factory.Anonymous();
        (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = driver.Password })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await factory.RowsForAsync(driver.Email)).ShouldBeEmpty("the warning itself named the address and went with the account");
    }

    [Fact]
    public async Task Apply_SignedInAfterTheWarning_NotErased()
    {
        var driver = await factory.RegisterDriverAsync();
        await LastActiveAsync(driver, Now - ThreeYears + TimeSpan.FromDays(5));
        await Rule.ApplyAsync(Now, CancellationToken.None);

        using var anonymous = factory.Anonymous();
        await Accounts.LoginAsync(anonymous, driver.Email, driver.Password);
        await Rule.ApplyAsync(Now.AddDays(31), CancellationToken.None);

        (await factory.ScalarAsync<long>("select count(*) from privacy_erasures where user_id = $1", driver.Id)).ShouldBe(0);
        await Accounts.LoginAsync(anonymous, driver.Email, driver.Password);
    }

    [Fact]
    public async Task Apply_LongInactiveButNeverWarned_WarnedFirstNotErased()
    {
        var driver = await factory.RegisterDriverAsync();
        await LastActiveAsync(driver, Now - ThreeYears - TimeSpan.FromDays(400));

        await Rule.ApplyAsync(Now, CancellationToken.None);

        (await factory.ScalarAsync<long>("select count(*) from privacy_erasures where user_id = $1", driver.Id)).ShouldBe(0, "never erased without the notice");
        (await factory.ScalarAsync<long>("select count(*) from privacy_inactivity_warnings where user_id = $1", driver.Id)).ShouldBe(1);
        (await factory.RowsForAsync(driver.Email)).ShouldHaveSingleItem().Status.ShouldBe("queued");
    }

    [Fact]
    public async Task Apply_StaffAccounts_NeverTouched()
    {
        var staff = await factory.CreateOperatorAsync(factory.TenantId);
        await LastActiveAsync(staff, Now - ThreeYears - TimeSpan.FromDays(400));

        await Rule.ApplyAsync(Now, CancellationToken.None);
        await Rule.ApplyAsync(Now.AddDays(60), CancellationToken.None);

        (await factory.ScalarAsync<long>("select count(*) from privacy_inactivity_warnings where user_id = $1", staff.Id)).ShouldBe(0);
        (await factory.ScalarAsync<long>("select count(*) from privacy_erasures where user_id = $1", staff.Id)).ShouldBe(0);
    }

    [Fact]
    public void RetentionJob_AppliesTheRuleWithTheOtherClasses()
    {
        factory.Services.GetServices<IRetentionRule>().ShouldContain(r => r is InactiveAccounts && r.DataClass == "inactive-accounts");
    }

    [Fact]
    public async Task Marketing_WithdrawnThroughTheConsentsApi_QueuedMessageSuppressed()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        await (await client.PutAsJsonAsync("/api/v1/me/consents", new { marketingNotifications = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        // Quiet hours now hold the message in the queue (the sender would take it at once) until consent is withdrawn.
        var quiet = new { start = Now.AddHours(-1).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            end = Now.AddHours(1).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), timeZone = "UTC" };
        await (await client.PutAsJsonAsync("/api/v1/me/notification-preferences", new { quietHours = quiet })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await factory.Queue.QueueAsync([new NotificationRequest(Guid.NewGuid(), factory.TenantId, NotificationKinds.Marketing, new DriverRecipient(driver.Id),
            new Dictionary<string, string> { ["title"] = "Offer", ["detail"] = "Half price." }, Marketing: true)], CancellationToken.None);
        (await factory.OnlyRowForAsync(driver.Email)).Status.ShouldBe("queued", "consent was given when it was queued");

        await (await client.PutAsJsonAsync("/api/v1/me/consents", new { marketingNotifications = false })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        factory.Clock.Advance(TimeSpan.FromHours(2));
        await factory.SendDueAsync();

        (await factory.OnlyRowForAsync(driver.Email)).Status.ShouldBe("suppressed");
        factory.Smtp.To(driver.Email).ShouldBeEmpty();
    }
}
