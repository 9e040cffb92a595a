using Microsoft.Extensions.Options;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Chat.Handoff;

/// <summary>Closes hand-overs silent past Chat:HandoffIdleHours and deletes closed ones, with what was said, after Chat:HandoffRetentionDays.</summary>
public sealed class HandoffCleanup(HandoffStore handoffs, IOptions<ChatOptions> options) : IScheduledJob
{
    public string Name => "chat-handoffs";

    public Task RunAsync(DateTimeOffset now, CancellationToken ct) =>
        handoffs.TidyAsync(TimeSpan.FromHours(options.Value.HandoffIdleHours), TimeSpan.FromDays(options.Value.HandoffRetentionDays), ct);
}
