using System.Net;
using System.Net.Http.Json;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Reservations.BookingFactory;

namespace SmartParking.Tests.Reservations;

/// <summary>Everything about a booking is in the database: a server stopped mid-hold and started again loses nothing.</summary>
public sealed class ReservationRestartTests
{
    [Fact]
    public async Task Restart_WhileAHoldIsOpen_HoldKeptThenPaidAndTheSpaceStillProtected()
    {
        var before = new BookingFactory();
        await before.InitializeAsync();
        try
        {
            var (lotId, spaces) = await before.OpenLotAsync();
            var (account, driver) = await before.DriverAsync();
            var booking = Booking(lotId, spaces[0].SpaceId, DateTimeOffset.UtcNow.AddHours(1), TimeSpan.FromHours(1));
            var held = await BookAsync(driver, booking);
            driver.Dispose();

            // The server stops; its database stays, as on a real restart.
            await before.DisposeAsync();
            await using var after = new SecondNodeFactory(before.Database);
            await after.InitializeAsync();
            using var again = after.ClientFor(account);
            var other = await after.RegisterDriverAsync();
            using var otherClient = after.ClientFor(other);

            var reloaded = await again.GetJsonAsync($"/api/v1/reservations/{held.Id()}");
            var competing = await otherClient.PostAsJsonAsync("/api/v1/reservations", booking);
            var paid = await (await again.PostAsync($"/api/v1/reservations/{held.Id()}/payment", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

            reloaded.Str("status").ShouldBe("held");
            reloaded.GetProperty("holdExpiresAt").GetDateTimeOffset().ShouldBe(held.GetProperty("holdExpiresAt").GetDateTimeOffset());
            await competing.ShouldHaveStatusAsync(HttpStatusCode.Conflict);
            paid.GetProperty("reservation").Str("status").ShouldBe("confirmed");
            paid.GetProperty("payment").Str("state").ShouldBe("succeeded");
        }
        finally
        {
            await ((IAsyncLifetime)before).DisposeAsync();
        }
    }
}
