namespace SmartParking.Server.Platform.Http;

/// <summary>
/// Marks an endpoint a provider calls with every user's traffic and a proof of origin (a secret token or a signature):
/// it is rate-limited per endpoint with Http:ProviderWebhookRequestsPerWindow, not per calling address.
/// </summary>
public sealed class ProviderWebhook
{
    public static readonly ProviderWebhook Instance = new();

    private ProviderWebhook()
    {
    }
}

public static class ProviderWebhookExtensions
{
    public static TBuilder AsProviderWebhook<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(ProviderWebhook.Instance);
}
