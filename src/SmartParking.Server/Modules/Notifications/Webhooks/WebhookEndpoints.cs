using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SmartParking.Server.Modules.Identity;

namespace SmartParking.Server.Modules.Notifications.Webhooks;

public sealed record WebhookEventTypes(IReadOnlyList<string> EventTypes);

public static class WebhookEndpoints
{
    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/manage/webhooks").WithTags("Webhooks").RequireAuthorization(Policies.Operator);
        group.MapPost("", Create);
        group.MapGet("", List);
        group.MapGet("/event-types", EventTypes);
        group.MapGet("/{id:guid}", Get);
        group.MapDelete("/{id:guid}", Delete);
        group.MapPost("/{id:guid}/secret", RotateSecret);
    }

    private static async Task<Created<WebhookWithSecret>> Create(WebhookRequest request, ClaimsPrincipal user, WebhookSubscriptions webhooks, CancellationToken ct)
    {
        var created = await webhooks.CreateAsync(user, request, ct);
        return TypedResults.Created($"/api/v1/manage/webhooks/{created.Webhook.Id}", created);
    }

    private static Task<IReadOnlyList<Webhook>> List(ClaimsPrincipal user, WebhookSubscriptions webhooks, Guid? tenantId, CancellationToken ct) =>
        webhooks.ListAsync(user, tenantId, ct);

    private static WebhookEventTypes EventTypes(WebhookSubscriptions webhooks) => new(webhooks.SubscribableTypes);

    private static Task<Webhook> Get(Guid id, ClaimsPrincipal user, WebhookSubscriptions webhooks, CancellationToken ct) => webhooks.GetAsync(user, id, ct);

    private static async Task<NoContent> Delete(Guid id, ClaimsPrincipal user, WebhookSubscriptions webhooks, CancellationToken ct)
    {
        await webhooks.DeleteAsync(user, id, ct);
        return TypedResults.NoContent();
    }

    /// <summary>A new signing secret, shown once; events from now on are signed with it.</summary>
    private static Task<WebhookWithSecret> RotateSecret(Guid id, ClaimsPrincipal user, WebhookSubscriptions webhooks, CancellationToken ct) =>
        webhooks.RotateSecretAsync(user, id, ct);
}
