using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace SmartParking.Tests.Infrastructure;

/// <summary>
/// A server on a <see cref="StoppedClock"/>, for sign-in tests whose answers depend on the time (which TOTP steps are
/// taken, how long a sign-in delay lasts): the test moves the clock instead of waiting.
/// </summary>
public sealed class AuthFactory : ApiFactory
{
    public StoppedClock Clock { get; } = new(DateTimeOffset.UtcNow);

    public override TimeProvider Time => Clock;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}
