using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Chat.Conversations;

/// <summary>
/// Deletes conversations silent past Chat:RetentionHours, and what was said in them. Every few minutes, not every
/// round: the deletion scans the conversations (no index on their last activity, so each message updates its row in
/// place), and a retention counted in hours needs no finer grain.
/// </summary>
public sealed class ConversationCleanup(ConversationStore conversations) : IScheduledJob
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(5);
    private DateTimeOffset _lastRun = DateTimeOffset.MinValue;

    public string Name => "chat-conversations";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (now - _lastRun < Every) return;
        await conversations.DeleteSilentAsync(ct);
        _lastRun = now;
    }
}
