using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Tests;

/// <summary>The exception handler on its own: what it writes for an exception, as a client reads it.</summary>
public sealed class ProblemDetailsTests
{
    [Theory]
    [InlineData("status")]
    [InlineData("Status")]
    [InlineData("title")]
    [InlineData("type")]
    [InlineData("detail")]
    [InlineData("instance")]
    public async Task ConflictExtension_NamedLikeAReservedMember_NeitherDuplicatesNorOverwritesIt(string key)
    {
        var body = await WriteAsync(new ConflictException("The reservation is confirmed.", new Dictionary<string, object?> { [key] = "confirmed", ["reservationStatus"] = "confirmed" }));

        var named = body.EnumerateObject().Where(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase)).ToList();
        named.Count.ShouldBeLessThanOrEqualTo(1, body.ToString());
        named.ShouldAllBe(p => p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() != "confirmed", body.ToString());
        body.GetProperty("status").GetInt32().ShouldBe(409);
        body.GetProperty("title").GetString().ShouldBe("Conflict");
        body.GetProperty("detail").GetString().ShouldBe("The reservation is confirmed.");
        body.GetProperty("reservationStatus").GetString().ShouldBe("confirmed");
    }

    private static async Task<JsonElement> WriteAsync(Exception exception)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = services };
        http.Response.Body = new MemoryStream();
        var handler = new ProblemExceptionHandler(services.GetRequiredService<IProblemDetailsService>(), NullLogger<ProblemExceptionHandler>.Instance);

        (await handler.TryHandleAsync(http, exception, CancellationToken.None)).ShouldBeTrue();

        http.Response.Body.Position = 0;
        return JsonDocument.Parse(http.Response.Body).RootElement.Clone();
    }
}
