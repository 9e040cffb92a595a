using System.Net;
using System.Net.Http.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Payments;

public sealed class WalletTests(PaymentsFactory factory) : IClassFixture<PaymentsFactory>
{
    private const string Url = "/api/v1/me/payment-methods";

    [Theory]
    [InlineData("token", "4242424242424242")]
    [InlineData("token", "4000 0566 5566 5556")]
    [InlineData("token", "5555-5555-5555-4444")]
    [InlineData("label", "my card 378282246310005")]
    [InlineData("customer", "6011111111111117")]
    public async Task PostPaymentMethod_CardNumberInAnyField_400NamingTheFieldAndNothingStored(string field, string value)
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        var body = new Dictionary<string, string> { ["provider"] = "stripe", ["token"] = "pm_card_visa", [field] = value };

        var response = await client.PostAsJsonAsync(Url, body);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
        problem.ToString().ShouldNotContain(value);
        (await factory.ScalarAsync<long>("select count(*) from payment_methods where driver_id = $1", driver.Id)).ShouldBe(0);
    }

    [Theory]
    [InlineData("stripe", "tok_visa", "token")]
    [InlineData("stripe", "card_123", "token")]
    [InlineData("paypal", "vault id with spaces", "token")]
    [InlineData("sandbox", "sandbox_maybe", "token")]
    [InlineData("bitcoin", "abc", "provider")]
    public async Task PostPaymentMethod_WrongTokenShape_400(string provider, string token, string field)
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);

        var response = await client.PostAsJsonAsync(Url, new { provider, token });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task PostPaymentMethod_StripeCustomerNotCus_400()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);

        var response = await client.PostAsJsonAsync(Url, new { provider = "stripe", token = "pm_card_visa", customer = "acct_123" });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "customer");
    }

    [Fact]
    public async Task PaymentMethods_SaveListDelete_DriverSeesOnlyOwn()
    {
        var alice = await factory.RegisterDriverAsync("alice");
        var bob = await factory.RegisterDriverAsync("bob");
        using var aliceClient = factory.ClientFor(alice);
        using var bobClient = factory.ClientFor(bob);

        var saved = await (await aliceClient.PostAsJsonAsync(Url, new { provider = "stripe", token = "pm_1PqRsTuVwXyZ", customer = "cus_Abc123", label = "Work card" }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);
        var repeat = await aliceClient.PostAsJsonAsync(Url, new { provider = "stripe", token = "pm_1PqRsTuVwXyZ" });
        await (await bobClient.PostAsJsonAsync(Url, new { provider = "paypal", token = "8kk8451t" })).ShouldHaveStatusAsync(HttpStatusCode.Created);

        (await repeat.ShouldHaveStatusAsync(HttpStatusCode.OK)).Id().ShouldBe(saved.Id());
        saved.Str("provider").ShouldBe("stripe");
        saved.Str("label").ShouldBe("Work card");
        saved.ToString().ShouldNotContain("pm_1PqRsTuVwXyZ");
        var aliceList = (await aliceClient.GetJsonAsync(Url)).EnumerateArray().ToList();
        aliceList.ShouldHaveSingleItem().Id().ShouldBe(saved.Id());
        (await bobClient.DeleteAsync($"{Url}/{saved.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await aliceClient.DeleteAsync($"{Url}/{saved.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await aliceClient.GetJsonAsync(Url)).GetArrayLength().ShouldBe(0);
        (await bobClient.GetJsonAsync(Url)).GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task PaymentMethods_Anonymous_401()
    {
        using var client = factory.Anonymous();

        (await client.GetAsync(Url)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
