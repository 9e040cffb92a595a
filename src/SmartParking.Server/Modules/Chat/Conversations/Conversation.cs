namespace SmartParking.Server.Modules.Chat.Conversations;

/// <summary>One exchange: what the user said and what the assistant answered.</summary>
public sealed record ChatTurn(DateTimeOffset At, string User, IReadOnlyList<string> Bot);

/// <summary>
/// Where a dialogue stands: the flow being completed (named by its intent), the slots filled so far, and what the
/// assistant asked last (a slot, a confirmation, or which of a few intents was meant).
/// </summary>
public sealed class DialogueState
{
    public string? Flow { get; set; }

    public Dictionary<string, string> Slots { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The slot asked for, <see cref="Confirmation"/>, or null when nothing is asked.</summary>
    public string? Awaiting { get; set; }

    /// <summary>What the message being handled answers (the slot asked for before it); not stored.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string? Answered { get; set; }

    /// <summary>The intents offered after a message the assistant did not understand.</summary>
    public List<string>? Offered { get; set; }

    public const string Confirmation = "confirmation";

    public void Clear()
    {
        Flow = null;
        Slots.Clear();
        Awaiting = null;
        Offered = null;
    }
}

/// <summary>A conversation as a message finds it: who is talking on which channel, the dialogue state and the last turns.</summary>
public sealed class Conversation
{
    public required string Channel { get; init; }

    /// <summary>The user as stored (<see cref="ChatSenderKeys"/>), not their id on the channel.</summary>
    public required string Sender { get; init; }

    /// <summary>The user's id on the channel, for messages sent to them later; not stored with the conversation.</summary>
    public string? ReplyTo { get; set; }

    /// <summary>The platform driver this chat user is, when known (signed in, or linked); null answers public questions only.</summary>
    public Guid? DriverId { get; set; }

    /// <summary>The open hand-over to a person, if any: the user's messages go to the operator, not the assistant.</summary>
    public Guid? HandoffId { get; set; }

    /// <summary>Where the channel sends from (WhatsApp's business number), for messages sent later; not stored.</summary>
    public string? ReplyVia { get; set; }

    /// <summary>"en" or "da": the language replies are written in.</summary>
    public string Language { get; set; } = "en";

    public DialogueState State { get; set; } = new();

    public List<ChatTurn> Turns { get; set; } = [];

    /// <summary>True when there was no conversation, or the last one timed out.</summary>
    public bool IsNew { get; init; }
}
