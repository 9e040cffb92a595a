using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;
using static SmartParking.Tests.Reservations.BookingFactory;

namespace SmartParking.Tests.Admin;

/// <summary>What operators do to others' bookings and spaces from the dashboard: cancel, refund, take out of service, change roles.</summary>
public sealed class OperatorActionsTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private Task<decimal> RefundedAsync(Guid referenceId) =>
        factory.ScalarAsync<decimal>("select coalesce(sum(amount), 0) from refunds where payment_id in (select id from payments where reference_id = $1)", referenceId);

    private static ClaimsPrincipal Operator(Guid tenantId) => new(new ClaimsIdentity(
        [new Claim(AppClaims.Subject, Guid.NewGuid().ToString()), new Claim(AppClaims.Role, Roles.Operator), new Claim(AppClaims.Tenant, tenantId.ToString())], "test"));

    [Fact]
    public async Task CancelAsOperator_AfterTheStart_RefundsInFullAndAudits()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        // A driver cancelling now would keep 75 %; the operator's cancellation is not the driver's doing.
        await factory.SetPolicyAsync(lotId, ReservationTests.Policy(lateCancellationPercent: 25));
        var (_, driver) = await factory.DriverAsync();
        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow(), Hour));
        factory.Clock.Advance(TimeSpan.FromMinutes(5));
        using var op = factory.OperatorClient();

        var cancelled = await (await op.PostAsJsonAsync($"/api/v1/manage/reservations/{id}/cancellation", new { reason = "Barrier broken" }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        cancelled.Str("status").ShouldBe("cancelled");
        (await RefundedAsync(id)).ShouldBe(12.00m);
        (await factory.ScalarAsync<long>("select count(*) from audit_log where action = 'reservation.cancelled_by_operator' and entity_id = $1::text", id)).ShouldBe(1);
        await (await op.PostAsync($"/api/v1/manage/reservations/{id}/cancellation", null)).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task CancelAsOperator_DriverToken_Returns403()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow().AddHours(2), Hour));

        (await driver.PostAsync($"/api/v1/manage/reservations/{id}/cancellation", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task RefundPayment_NoAmount_RefundsWhatIsLeftThenConflicts()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow().AddHours(3), Hour));
        var paymentId = await factory.ScalarAsync<Guid>("select id from payments where reference_id = $1", id);
        using var op = factory.OperatorClient();

        await (await op.PostAsJsonAsync($"/api/v1/manage/payments/{paymentId}/refunds", new { amount = 5.00m, reason = "Goodwill" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        (await RefundedAsync(id)).ShouldBe(5.00m);
        await (await op.PostAsJsonAsync($"/api/v1/manage/payments/{paymentId}/refunds", new { })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        (await RefundedAsync(id)).ShouldBe(12.00m);

        await (await op.PostAsJsonAsync($"/api/v1/manage/payments/{paymentId}/refunds", new { })).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        await (await op.PostAsJsonAsync($"/api/v1/manage/payments/{paymentId}/refunds", new { amount = -1 })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "amount");
        (await factory.ScalarAsync<long>("select count(*) from audit_log where action = 'payment.refunded' and entity_id = $1::text", paymentId)).ShouldBe(2);
    }

    [Fact]
    public async Task RefundPayment_UnknownPayment_Returns404()
    {
        using var op = factory.OperatorClient();
        await (await op.PostAsJsonAsync($"/api/v1/manage/payments/{Guid.NewGuid()}/refunds", new { })).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SetOutOfService_OwnSpace_FlagsOnlyThatAndAuditsOncePerChange()
    {
        var (_, spaces) = await factory.OpenLotAsync();
        var service = factory.Services.GetRequiredService<SpaceService>();
        var user = Operator(factory.TenantId);

        var space = await service.SetOutOfServiceAsync(user, spaces[0].SpaceId, true, CancellationToken.None);
        await service.SetOutOfServiceAsync(user, spaces[0].SpaceId, true, CancellationToken.None);

        space.OutOfService.ShouldBeTrue();
        space.Label.ShouldBe("B1");
        (await factory.ScalarAsync<long>("select count(*) from audit_log where action = 'space.out_of_service' and entity_id = $1::text", space.Id)).ShouldBe(1);
        (await service.SetOutOfServiceAsync(user, space.Id, false, CancellationToken.None)).OutOfService.ShouldBeFalse();
        (await factory.ScalarAsync<bool>("select out_of_service from spaces where id = $1", space.Id)).ShouldBeFalse();
    }

    [Fact]
    public async Task SetOutOfService_OtherTenantsSpace_NotFoundAndUnchanged()
    {
        var (_, spaces) = await factory.OpenLotAsync();
        var stranger = Operator(await factory.CreateTenantAsync());
        var service = factory.Services.GetRequiredService<SpaceService>();

        await Should.ThrowAsync<NotFoundException>(() => service.SetOutOfServiceAsync(stranger, spaces[0].SpaceId, true, CancellationToken.None));

        (await factory.ScalarAsync<bool>("select out_of_service from spaces where id = $1", spaces[0].SpaceId)).ShouldBeFalse();
    }

    [Fact]
    public async Task ChangeRole_OperatorPrincipal_IsForbiddenWithoutAnEndpointPolicy()
    {
        var driver = await factory.RegisterDriverAsync();
        using var scope = factory.Services.CreateScope();
        var roles = scope.ServiceProvider.GetRequiredService<UserRoles>();

        await Should.ThrowAsync<ForbiddenException>(() =>
            roles.ChangeRoleAsync(Operator(factory.TenantId), driver.Id, new RoleChangeRequest(Roles.Admin, null), CancellationToken.None));

        (await factory.ScalarAsync<string>("select role from users where id = $1", driver.Id)).ShouldBe(Roles.Driver);
    }
}
