using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Chat.Channels;
using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;

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
        // Messages a person sent into the chat later (hand-over), for clients of the REST channel to fetch.
        app.MapGet("/webhooks/rest/messages", RestMessages).WithTags("Chat").AllowAnonymous();

        var handoffs = app.MapGroup("/api/v1/chat/handoffs").WithTags("Chat").RequireAuthorization(Policies.Operator);
        handoffs.MapGet("", (bool? includeClosed, ClaimsPrincipal user, ChatHandoffs queue, CancellationToken ct) => queue.QueueAsync(user, includeClosed ?? false, ct));
        handoffs.MapGet("/{id:guid}", (Guid id, ClaimsPrincipal user, ChatHandoffs queue, CancellationToken ct) => queue.ThreadAsync(user, id, ct));
        handoffs.MapPost("/{id:guid}/messages", async (Guid id, HandoffAnswer answer, ClaimsPrincipal user, ChatHandoffs queue, CancellationToken ct) =>
            TypedResults.Created($"/api/v1/chat/handoffs/{id}", await queue.AnswerAsync(user, id, answer.Text, ct)));
        handoffs.MapPost("/{id:guid}/close", (Guid id, ClaimsPrincipal user, ChatHandoffs queue, CancellationToken ct) => queue.CloseAsync(user, id, ct));
        app.MapChatChannels();
    }

    /// <summary>Who is talking on the REST channel: a signed-in driver whatever id the page sends, else the sender id.</summary>
    private static async Task<ChatSender> RestSenderAsync(string? senderId, ClaimsPrincipal user, IAuthorizationService authorization)
    {
        if (string.IsNullOrWhiteSpace(senderId)) throw new ValidationException("sender", "is required: the id of the user who is talking.");
        if (senderId.Length > MaxSenderChars) throw new ValidationException("sender", $"must be at most {MaxSenderChars} characters.");
        var driver = user.Identity?.IsAuthenticated == true && (await authorization.AuthorizeAsync(user, Policies.Driver)).Succeeded ? user.UserId() : (Guid?)null;
        return driver is { } id ? new ChatSender(ChatChannels.Web, id.ToString(), id) : new ChatSender(ChatChannels.Rest, senderId);
    }

    private static async Task<IReadOnlyList<RasaRestMessageOut>> RestMessages(string? sender, long? after, ClaimsPrincipal user, IAuthorizationService authorization,
        ChatHandoffs handoffs, CancellationToken ct)
    {
        if (after is < 0) throw new ValidationException("after", "must be 0 or more: the id of the last message fetched.");
        var from = await RestSenderAsync(sender, user, authorization);
        return (await handoffs.MessagesToAsync(from, after ?? 0, ct)).Select(m => new RasaRestMessageOut(sender!, m.Text, m.Id, m.At)).ToList();
    }

    private const int MaxSenderChars = 128;

    private static async Task<SizedJson<IReadOnlyList<RasaRestReply>>> RestWebhook(RasaRestMessage request, ClaimsPrincipal user, IAuthorizationService authorization,
        ChatAssistant assistant, CancellationToken ct)
    {
        var sender = await RestSenderAsync(request.Sender, user, authorization);
        var replies = await assistant.ReplyAsync(sender, request.Message, ct);
        return new(replies.Select(r => RasaRestReply.From(request.Sender!, r)).ToList());
    }

    private static async Task<RasaParseResult> Parse(RasaParseRequest request, NluEngine nlu, IOptions<ChatOptions> options)
    {
        if (request.Text is null) throw new ValidationException("text", "is required.");
        if (request.Text.Length > options.Value.MaxMessageChars)
            throw new ValidationException("text", $"must be at most {options.Value.MaxMessageChars} characters.");
        return RasaParseResult.From(await nlu.ParseAsync(request.Text), request.MessageId);
    }
}
