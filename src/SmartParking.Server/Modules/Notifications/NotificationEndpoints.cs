using System.Security.Claims;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Notifications;

public static class NotificationEndpoints
{
    public static void MapNotificationApi(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/v1/me").WithTags("Notifications").RequireAuthorization(Policies.Driver);
        me.MapGet("/notification-preferences", GetPreferences);
        me.MapPut("/notification-preferences", PutPreferences);
        me.MapGet("/notifications", OwnMessages);

        var manage = app.MapGroup("/api/v1/manage/notifications").WithTags("Notifications").RequireAuthorization(Policies.Operator);
        manage.MapGet("/messages", Messages);
    }

    private static async Task<PreferencesResponse> GetPreferences(ClaimsPrincipal user, PreferencesStore store, CancellationToken ct) =>
        (await store.GetAsync(user.UserId(), ct)).ToResponse();

    private static async Task<PreferencesResponse> PutPreferences(PreferencesRequest request, ClaimsPrincipal user, PreferencesStore store, CancellationToken ct) =>
        (await store.SaveAsync(user.UserId(), request, ConsentSources.Api, ct)).ToResponse();

    private static Task<Page<NotificationMessage>> OwnMessages(ClaimsPrincipal user, DriverMessages messages, int? page, int? pageSize, CancellationToken ct) =>
        messages.ListAsync(user.UserId(), Paging.From(page, pageSize), ct);

    private static Task<Page<NotificationMessage>> Messages(ClaimsPrincipal user, NotificationsTable table, string? status, string? channel, string? kind, Guid? driverId,
        Guid? tenantId, int? page, int? pageSize, string? sort, string? dir, CancellationToken ct) =>
        table.PageAsync(user, TableRequest.From(page, pageSize, sort, dir).With("tenantId", tenantId).With("status", status).With("channel", channel)
            .With("kind", kind).With("driverId", driverId), ct);
}
