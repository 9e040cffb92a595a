using System.Security.Claims;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Chat.Channels;
using SmartParking.Server.Modules.Chat.Dialogue;
using SmartParking.Server.Modules.Chat.Handoff;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Chat;

/// <summary>
/// The operators' side of hand-over: the queue of chats handed to people (an operator sees their own tenant's, an admin
/// every one), the thread, answering and closing. An answer is recorded first and then sent on the driver's channel
/// (Telegram, WhatsApp), or left for the driver's app or REST client to fetch; the operator sees which.
/// </summary>
public sealed class ChatHandoffs(HandoffStore store, HandoffFeed feed, IEnumerable<IOutboundChannel> channels, ChatSenderKeys senderKeys, IOptions<ChatOptions> options)
{
    private const int QueueShown = 200;

    public Task<IReadOnlyList<HandoffSummary>> QueueAsync(ClaimsPrincipal user, bool includeClosed, CancellationToken ct) =>
        store.QueueAsync(user.TenantScope(), includeClosed, QueueShown, ct);

    public async Task<HandoffThread> ThreadAsync(ClaimsPrincipal user, Guid id, CancellationToken ct) =>
        await store.ThreadAsync(id, user.TenantScope(), ct) ?? throw new NotFoundException("Chat");

    public async Task<HandoffMessage> AnswerAsync(ClaimsPrincipal user, Guid id, string? text, CancellationToken ct)
    {
        var answer = (text ?? "").Trim();
        if (answer.Length == 0) throw new ValidationException("text", "is required: what to tell the driver.");
        if (answer.Length > options.Value.MaxMessageChars) throw new ValidationException("text", $"must be at most {options.Value.MaxMessageChars} characters.");
        if (StoredText.Problem(answer) is { } problem) throw new ValidationException("text", problem);
        var to = await OpenAsync(user, id, ct);
        return await SendAsync(to, HandoffAuthors.Operator, user.UserId(), answer, HandoffStatuses.Answered, ct);
    }

    /// <summary>Ends the hand-over and tells the driver they are talking to the assistant again.</summary>
    public async Task<HandoffMessage> CloseAsync(ClaimsPrincipal user, Guid id, CancellationToken ct)
    {
        var to = await OpenAsync(user, id, ct);
        var notice = new Say(to.Language).T("The operator has closed this chat. You're talking to the assistant again.",
            "Medarbejderen har afsluttet samtalen. Du taler med assistenten igen.");
        return await SendAsync(to, HandoffAuthors.Assistant, user.UserId(), notice, HandoffStatuses.Closed, ct);
    }

    /// <summary>Changes to hand-overs the user may see (their tenant's; every one for an admin), until <paramref name="ct"/>.</summary>
    public ChannelReader<HandoffChanged> Subscribe(CancellationToken ct) => feed.Subscribe(ct);

    /// <summary>What operators said to this chat user after message <paramref name="after"/> (apps that fetch their messages).</summary>
    public Task<IReadOnlyList<HandoffMessage>> MessagesToAsync(ChatSender sender, long after, CancellationToken ct) =>
        store.ToDriverAsync(sender.Channel, senderKeys.StoredId(sender), after, ct);

    /// <summary>The key <see cref="HandoffChanged"/> events name this chat user by.</summary>
    public string ChangeKeyOf(ChatSender sender) => HandoffChanged.KeyOf(sender.Channel, senderKeys.StoredId(sender));

    private async Task<HandoffAddress> OpenAsync(ClaimsPrincipal user, Guid id, CancellationToken ct)
    {
        var to = await store.AddressAsync(id, user.TenantScope(), ct) ?? throw new NotFoundException("Chat");
        return to.Status == HandoffStatuses.Closed ? throw Closed() : to;
    }

    private async Task<HandoffMessage> SendAsync(HandoffAddress to, string author, Guid operatorId, string text, string status, CancellationToken ct)
    {
        var outbound = channels.FirstOrDefault(c => c.Channel == to.Channel);
        var message = await store.AddMessageToDriverAsync(to, author, operatorId, text, outbound is null ? HandoffDelivery.Fetch : HandoffDelivery.Failed, status, ct)
            ?? throw Closed(); // closed meanwhile
        if (outbound is null) return message;
        // Recorded as failed first: a crash while sending leaves it marked for the operator to send again, never lost.
        if (to.ReplyTo is null || !await outbound.SendAsync(to.ReplyTo, to.ReplyVia, new ChatReply(text), ct)) return message;
        await store.SetDeliveryAsync(message.Id, HandoffDelivery.Sent, ct);
        return message with { Delivery = HandoffDelivery.Sent };
    }

    private static ConflictException Closed() => new("This chat is closed: the driver is talking to the assistant again.");
}
