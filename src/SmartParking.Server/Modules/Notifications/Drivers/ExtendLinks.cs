using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Notifications.Drivers;

public enum ExtendTarget { Reservation, Session }

/// <summary>
/// One-tap extension links: a short-lived token (Data Protection, time-limited, shared by every node) naming the
/// reservation or session and its driver, so the link itself is the permission and needs no sign-in.
/// </summary>
public sealed class ExtendLinks(IDataProtectionProvider protection, IOptions<NotificationOptions> options, TimeProvider time)
{
    public const string PathPrefix = "/notifications/extend/";

    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("SmartParking.Notifications.Extend").ToTimeLimitedDataProtector();

    public string LinkFor(ExtendTarget target, Guid id, Guid driverId)
    {
        var token = _protector.Protect($"{target}:{id}:{driverId}", time.GetUtcNow().AddMinutes(options.Value.ExtendLinkMinutes));
        return options.Value.PublicBaseUrl.TrimEnd('/') + PathPrefix + token;
    }

    /// <summary>What a token names, or null when it is forged, damaged or expired.</summary>
    public (ExtendTarget Target, Guid Id, Guid DriverId)? Read(string token)
    {
        try
        {
            var parts = _protector.Unprotect(token).Split(':');
            return parts.Length == 3 && Enum.TryParse<ExtendTarget>(parts[0], out var target) && Guid.TryParse(parts[1], out var id) && Guid.TryParse(parts[2], out var driver)
                ? (target, id, driver) : null;
        }
        catch (CryptographicException) { return null; }
    }
}

/// <summary>
/// The page a one-tap link opens: GET shows what will be extended and one button (so link previews and prefetching
/// never extend anything); POST extends through the Reservations or Sessions service and says until when, or why not.
/// </summary>
public static class ExtendLinkEndpoints
{
    public static void MapExtendLinks(this IEndpointRouteBuilder app)
    {
        app.MapGet(ExtendLinks.PathPrefix + "{token}", ShowAsync).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(ExtendLinks.PathPrefix + "{token}", ExtendAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
    }

    private static async Task<IResult> ShowAsync(string token, ExtendLinks links, IDriverReservations reservations, SessionService sessions, LotCatalog lots,
        IOptions<NotificationOptions> options, CancellationToken ct)
    {
        if (links.Read(token) is not { } link) return Page("Link expired", "This extension link has expired or is not valid. Open the app to extend.", status: 410);
        try
        {
            var (what, end, lotId) = await CurrentAsync(link, reservations, sessions, ct);
            var zone = await lots.TimeZoneOfAsync(lotId, ct);
            return Page("Extend your parking",
                $"Your {what} ends {LocalTimes.Format(end, zone)}. Extend it by {options.Value.ExtendMinutes} minutes (the extra time is charged as usual)?",
                button: $"Extend by {options.Value.ExtendMinutes} minutes");
        }
        catch (NotFoundException) { return Page("Not found", "This parking no longer exists.", status: 404); }
    }

    private static async Task<IResult> ExtendAsync(string token, ExtendLinks links, IDriverReservations reservations, SessionService sessions, LotCatalog lots,
        IOptions<NotificationOptions> options, CancellationToken ct)
    {
        if (links.Read(token) is not { } link) return Page("Link expired", "This extension link has expired or is not valid. Open the app to extend.", status: 410);
        var step = options.Value.ExtendMinutes;
        try
        {
            var (what, end, lotId) = await CurrentAsync(link, reservations, sessions, ct);
            var newEnd = link.Target == ExtendTarget.Reservation
                ? (await reservations.ExtendAsync(link.DriverId, link.Id, end.AddMinutes(step), ct)).End
                : (await sessions.ExtendAsync(link.DriverId, link.Id, new ExtendSessionRequest(step), ct)).EndsAt;
            return Page("Extended", $"Your {what} now ends {LocalTimes.Format(newEnd, await lots.TimeZoneOfAsync(lotId, ct))}.");
        }
        catch (ValidationException e) { return Page("Not extended", "It could not be extended: " + string.Join(" ", e.Errors.SelectMany(x => x.Value)), status: 409); }
        catch (ConflictException e) { return Page("Not extended", "It could not be extended: " + e.Message, status: 409); }
        catch (PaymentFailedException e) { return Page("Not extended", "The payment for the extra time failed: " + e.Message, status: 402); }
        catch (NotFoundException) { return Page("Not found", "This parking no longer exists.", status: 404); }
    }

    private static async Task<(string What, DateTimeOffset End, Guid LotId)> CurrentAsync(
        (ExtendTarget Target, Guid Id, Guid DriverId) link, IDriverReservations reservations, SessionService sessions, CancellationToken ct)
    {
        if (link.Target == ExtendTarget.Reservation)
        {
            var r = await reservations.FindOwnAsync(link.DriverId, link.Id, ct);
            return ($"reservation of space {r.SpaceLabel}", r.End, r.LotId);
        }
        var s = await sessions.FindOwnAsync(link.DriverId, link.Id, ct);
        return ($"parking for {s.Plate}", s.EndsAt, s.LotId);
    }

    private static IResult Page(string title, string message, string? button = null, int status = 200)
    {
        var form = button is null ? "" : $"<form method=\"post\"><button type=\"submit\">{WebUtility.HtmlEncode(button)}</button></form>";
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{WebUtility.HtmlEncode(title)} – SmartParking</title></head>
            <body><main><h1>{WebUtility.HtmlEncode(title)}</h1><p role="status">{WebUtility.HtmlEncode(message)}</p>{form}<p><a href="/me">My parking</a></p></main></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: status);
    }
}
