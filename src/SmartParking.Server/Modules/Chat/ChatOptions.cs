using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Chat;

public sealed class ChatOptions
{
    public const string Section = "Chat";

    /// <summary>A directory of Rasa NLU YAML files to train on instead of the built-in data (data/chat/nlu).</summary>
    public string? NluDataDirectory { get; set; }

    /// <summary>Below this confidence the assistant asks instead of acting (Rasa's FallbackClassifier threshold; see <see cref="Nlu.NluFallback"/>).</summary>
    [Range(0.0, 1.0)] public double FallbackThreshold { get; set; } = 0.4;

    /// <summary>The best intent must lead the runner-up by this much, else the assistant asks.</summary>
    [Range(0.0, 1.0)] public double AmbiguityThreshold { get; set; } = 0.05;

    /// <summary>The longest message read, in characters; a longer one gets a polite refusal.</summary>
    [Range(16, 65_536)] public int MaxMessageChars { get; set; } = 4_096;

    /// <summary>A conversation silent this long starts afresh (the specification's 1,800 s).</summary>
    [Range(60, 86_400)] public int ConversationTimeoutSeconds { get; set; } = 1_800;

    /// <summary>How many turns a conversation keeps (the specification's 10).</summary>
    [Range(1, 100)] public int HistoryTurns { get; set; } = 10;

    /// <summary>A conversation silent this long is deleted, with what was said in it.</summary>
    [Range(1, 24 * 365)] public int RetentionHours { get; set; } = 24;

    /// <summary>A chat handed to a person with no word from either side for this long is closed.</summary>
    [Range(1, 24 * 30)] public int HandoffIdleHours { get; set; } = 24;

    /// <summary>
    /// Messages that may act (a confirmed booking, a report, a hand-over) handled at once on a node, each holding its
    /// conversation's row lock and connection while its dialogue uses others: keep it well under the connection pool
    /// (Npgsql's 50 by default), or the pool runs dry. Other messages hold no connection while they are answered.
    /// </summary>
    [Range(1, 1_000)] public int MaxConcurrentMessages { get; set; } = 16;

    /// <summary>
    /// Whether a reply waits until its turn is flushed to disk. Off (the default), PostgreSQL commits the turns of
    /// messages that only talk without waiting for the flush (asynchronous commit): they survive a restart of the
    /// platform or a clean stop of PostgreSQL, and only a crash of PostgreSQL itself can lose the last fraction of a second
    /// of them. Messages that act (a booking, a payment, a report, a hand-over, a link) always wait for the flush.
    /// </summary>
    public bool WaitForDurableTurns { get; set; }

    /// <summary>Where relative times ("tomorrow at 9") are placed before a conversation knows its city.</summary>
    [Required] public string DefaultTimeZone { get; set; } = "Europe/Copenhagen";
}
