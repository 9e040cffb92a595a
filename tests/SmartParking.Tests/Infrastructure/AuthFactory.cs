using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace SmartParking.Tests.Infrastructure;

/// <summary>
/// A server on a <see cref="StoppedClock"/>, for sign-in tests whose answers depend on the time (which TOTP steps are
/// taken, how long a sign-in delay lasts): the test moves the clock instead of waiting. Each client comes from an
/// address of its own, as people on the internet do (<see cref="AnonymousFrom"/> picks one), and the sign-in throttle's
/// limits are small so a test reaches them in a few requests.
/// </summary>
public sealed class AuthFactory : ApiFactory
{
    public const int FailuresPerAccountAndAddress = 3;
    public const int FailuresPerAccount = 6;
    public const int FailuresPerAddress = 10;
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan AccountMaxDelay = TimeSpan.FromSeconds(60);

    /// <summary>Test-only: the client address the server sees, set by <see cref="AnonymousFrom"/>.</summary>
    private const string AddressHeader = "X-Test-Client-Address";
    private static int _lastAddress;

    public StoppedClock Clock { get; } = new(DateTimeOffset.UtcNow);

    public override TimeProvider Time => Clock;

    /// <summary>An address no other client of this run has.</summary>
    public static string NewAddress()
    {
        var n = Interlocked.Increment(ref _lastAddress);
        return string.Create(CultureInfo.InvariantCulture, $"10.{(n >> 16) & 0xff}.{(n >> 8) & 0xff}.{n & 0xff}");
    }

    public override HttpClient Anonymous() => AnonymousFrom(NewAddress());

    public HttpClient AnonymousFrom(string address)
    {
        var client = base.Anonymous();
        client.DefaultRequestHeaders.Add(AddressHeader, address);
        return client;
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Auth:SignInFailuresPerAccountAndAddress"] = FailuresPerAccountAndAddress.ToString(CultureInfo.InvariantCulture);
        settings["Auth:SignInFailuresPerAccount"] = FailuresPerAccount.ToString(CultureInfo.InvariantCulture);
        settings["Auth:SignInFailuresPerAddress"] = FailuresPerAddress.ToString(CultureInfo.InvariantCulture);
        settings["Auth:SignInDelaySeconds"] = FirstDelay.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        settings["Auth:SignInAccountMaxDelaySeconds"] = AccountMaxDelay.TotalSeconds.ToString(CultureInfo.InvariantCulture);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<IStartupFilter, ClientAddressFromHeader>();
        });
    }

    /// <summary>Runs before the app's own middleware, so rate limits and sign-in see the address as a proxy-less server would.</summary>
    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (IPAddress.TryParse(http.Request.Headers[AddressHeader].ToString(), out var address)) http.Connection.RemoteIpAddress = address;
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}
