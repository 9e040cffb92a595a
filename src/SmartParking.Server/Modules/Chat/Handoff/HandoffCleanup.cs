using Microsoft.Extensions.Options;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Chat.Handoff;

/// <summary>Closes hand-overs silent past Chat:HandoffIdleHours; the retention job deletes closed ones (<see cref="ChatTranscriptRetention"/>).</summary>
public sealed class HandoffCleanup(HandoffStore handoffs, IOptions<ChatOptions> options) : IScheduledJob
{
    public string Name => "chat-handoffs";

    public Task RunAsync(DateTimeOffset now, CancellationToken ct) => handoffs.CloseIdleAsync(TimeSpan.FromHours(options.Value.HandoffIdleHours), ct);
}
