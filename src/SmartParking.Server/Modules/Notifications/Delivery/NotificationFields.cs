using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Notifications;

/// <summary>
/// The log's personal fields, sealed at rest: the address (an e-mail address, a phone number, a push endpoint), found for
/// the send-once key by its blind index, and the texts, which name plates and places.
/// </summary>
internal static class NotificationFields
{
    public static readonly FieldScope Address = new("notification_messages", "address");
    public static readonly FieldScope BodyText = new("notification_messages", "body_text");
    public static readonly FieldScope BodyHtml = new("notification_messages", "body_html");

    public static void AddNotificationFieldEncryption(this IServiceCollection services)
    {
        services.AddProtectedColumn(new ProtectedColumn(Address, "address", "address_encrypted", "address_index"));
        services.AddProtectedColumn(new ProtectedColumn(BodyText, "body_text", "body_text_encrypted"));
        services.AddProtectedColumn(new ProtectedColumn(BodyHtml, "body_html", "body_html_encrypted"));
    }
}
