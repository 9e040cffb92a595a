using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SmartParking.Simulator;

namespace SmartParking.Tests.Simulator;

public class SimulatorCliTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await SimulatorCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static void ShouldBeOneLine(string text) => text.TrimEnd().ShouldNotContain("\n");

    [Fact]
    public async Task Url_option_reaches_the_given_server()
    {
        await using var server = await FakeServer.StartAsync(app => app.MapGet("/api/v1/availability", () => Results.Json(Array.Empty<object>())));

        var (code, output, error) = await RunAsync("nearby", "--url", server.Url.ToString());

        error.ShouldBeEmpty();
        code.ShouldBe(0);
        output.ShouldContain("0 lots");
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://example.org")]
    [InlineData("/relative/path")]
    public async Task A_url_that_is_not_absolute_http_is_a_usage_error_naming_the_option(string url)
    {
        var (code, _, error) = await RunAsync("nearby", "--url", url);

        code.ShouldBe(2);
        error.ShouldStartWith("--url");
        error.ShouldContain(url);
        ShouldBeOneLine(error);
    }

    [Fact]
    public async Task A_missing_demo_file_is_one_line_naming_the_option_and_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.json");

        var (code, _, error) = await RunAsync("provision", "--demo", path);

        code.ShouldBe(2);
        error.ShouldContain("--demo");
        error.ShouldContain(path);
        ShouldBeOneLine(error);
    }

    [Fact]
    public async Task A_missing_credentials_file_is_one_line_naming_the_option_and_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.json");

        var (code, _, error) = await RunAsync("sensors", "--credentials", path);

        code.ShouldBe(2);
        error.ShouldContain("--credentials");
        error.ShouldContain(path);
        ShouldBeOneLine(error);
    }

    [Fact]
    public async Task A_missing_csv_file_is_one_line_naming_the_option_and_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.csv");

        var (code, _, error) = await RunAsync("replay-aarhus", "--csv", path);

        code.ShouldBe(2);
        error.ShouldContain("--csv");
        error.ShouldContain(path);
        ShouldBeOneLine(error);
    }

    [Fact]
    public async Task A_failed_sign_in_is_one_line_not_a_stack_trace()
    {
        await using var server = await FakeServer.StartAsync(app => app.MapPost("/api/v1/auth/login", () => Results.Unauthorized()));

        var (code, _, error) = await RunAsync("provision", "--url", server.Url.ToString(), "--email", "a@b.c", "--password", "x", "--totp-key", "JBSWY3DPEHPK3PXP");

        code.ShouldBe(1);
        error.ShouldContain("Sign-in failed: 401");
        error.ShouldNotContain("   at ");
        ShouldBeOneLine(error);
    }

    [Fact]
    public async Task An_unreachable_server_is_one_line_not_a_stack_trace()
    {
        // A port just released by a listener: nothing answers there.
        await using var server = await FakeServer.StartAsync(_ => { });
        var url = server.Url.ToString();
        await server.DisposeAsync();

        var (code, _, error) = await RunAsync("nearby", "--url", url);

        code.ShouldBe(1);
        error.ShouldNotContain("   at ");
        ShouldBeOneLine(error);
    }
}
