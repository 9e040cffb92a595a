using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Chat.Channels;
using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Chat;

public static class ChatEndpoints
{
    public static void MapChatEndpoints(this IEndpointRouteBuilder app)
    {
        // Rasa's own paths, so Rasa clients and tools work unchanged. Parsing reads no one's data: public, under the global rate limit.
        app.MapPost("/model/parse", Parse).WithTags("Chat").AllowAnonymous();
        // Anyone may ask public questions; a signed-in driver's messages act for that driver (the cookie is SameSite=Lax,
        // so another site cannot post in a driver's name).
        app.MapPost("/webhooks/rest/webhook", RestWebhook).WithTags("Chat").AllowAnonymous();

        var me = app.MapGroup("/api/v1/me").WithTags("Chat").RequireAuthorization(Policies.Driver);
        me.MapPost("/chat-link-code", (ClaimsPrincipal user, ChatAccountLinks links, CancellationToken ct) => links.NewCodeAsync(user.UserId(), ct));
        me.MapGet("/chat-links", (ClaimsPrincipal user, ChatAccountLinks links, CancellationToken ct) => links.ListAsync(user.UserId(), ct));
        me.MapDelete("/chat-links/{channel}", async (string channel, ClaimsPrincipal user, ChatAccountLinks links, CancellationToken ct) =>
        {
            await links.UnlinkAllAsync(user.UserId(), channel, ct);
            return TypedResults.NoContent();
        });
        app.MapChatChannels();
    }

    private const int MaxSenderChars = 128;

    private static async Task<IReadOnlyList<RasaRestReply>> RestWebhook(RasaRestMessage request, ClaimsPrincipal user, IAuthorizationService authorization,
        ChatAssistant assistant, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Sender)) throw new ValidationException("sender", "is required: the id of the user who is talking.");
        if (request.Sender.Length > MaxSenderChars) throw new ValidationException("sender", $"must be at most {MaxSenderChars} characters.");
        var driver = user.Identity?.IsAuthenticated == true && (await authorization.AuthorizeAsync(user, Policies.Driver)).Succeeded ? user.UserId() : (Guid?)null;
        // A signed-in driver has one conversation whatever id the page sends; an anonymous one is keyed by the sender id.
        var sender = driver is { } id ? new ChatSender(ChatChannels.Web, id.ToString(), id) : new ChatSender(ChatChannels.Rest, request.Sender);
        var replies = await assistant.ReplyAsync(sender, request.Message, ct);
        return replies.Select(r => RasaRestReply.From(request.Sender, r)).ToList();
    }

    private static async Task<RasaParseResult> Parse(RasaParseRequest request, NluEngine nlu, IOptions<ChatOptions> options)
    {
        if (request.Text is null) throw new ValidationException("text", "is required.");
        if (request.Text.Length > options.Value.MaxMessageChars)
            throw new ValidationException("text", $"must be at most {options.Value.MaxMessageChars} characters.");
        return RasaParseResult.From(await nlu.ParseAsync(request.Text), request.MessageId);
    }
}
