using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Chat.Conversations;

/// <summary>Deletes conversations silent past Chat:RetentionHours, and what was said in them.</summary>
public sealed class ConversationCleanup(ConversationStore conversations) : IScheduledJob
{
    public string Name => "chat-conversations";

    public Task RunAsync(DateTimeOffset now, CancellationToken ct) => conversations.DeleteSilentAsync(ct);
}
