using Dapper;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Chat.Conversations;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>
/// Conversations answered at the same moment are written together, each still with its own version check: a stale row in
/// a batch loses alone, the others are stored.
/// </summary>
public sealed class ConversationWriterTests(ConversationWriterTests.DurableTurnsFactory factory) : IClassFixture<ConversationWriterTests.DurableTurnsFactory>
{
    /// <summary>Turns wait for the WAL flush here (the other chat tests run the default, which does not), so both modes are written.</summary>
    public sealed class DurableTurnsFactory : ManageFactory
    {
        protected override void ConfigureSettings(IDictionary<string, string?> settings) => settings["Chat:WaitForDurableTurns"] = "true";
    }

    private static ConversationWrite Write(string sender, long? version, string state = "{}") =>
        new("rest", sender, "en", state, [1, 2, 3], version, DateTimeOffset.UtcNow);

    [Fact]
    public async Task ManyAtOnce_EachKeepsItsOwnVersionCheck()
    {
        var writer = factory.Services.GetRequiredService<ConversationWriter>();
        // Stored as the assistant stores them (keyed): a clear channel id would be re-keyed under the test by ChatSenderRekeying.
        var senders = Enumerable.Range(0, 200).Select(i => factory.ChatSenderKey("rest", $"writer-{Guid.NewGuid():N}-{i}")).ToList();

        var created = await Task.WhenAll(senders.Select(s => writer.WriteAsync(Write(s, null), CancellationToken.None)));
        created.ShouldAllBe(v => v == 1);
        // A second "first write" of the same conversation (another node got there first) is refused, not an error.
        (await writer.WriteAsync(Write(senders[0], null), CancellationToken.None)).ShouldBeNull();

        // Half of them move on from version 1; the other half claim a version that is not stored.
        var updated = await Task.WhenAll(senders.Select((s, i) => writer.WriteAsync(Write(s, i % 2 == 0 ? 1 : 7, $$"""{"flow":"f{{i}}"}"""), CancellationToken.None)));
        for (var i = 0; i < senders.Count; i++) updated[i].ShouldBe(i % 2 == 0 ? 2 : null, $"conversation {i}");

        await using var connection = await factory.Sql.OpenConnectionAsync();
        var stored = (await connection.QueryAsync<(string Sender, long Version, string Flow)>(
            "select sender, version, coalesce(state->>'flow', '') from chat_conversations where sender = any(@senders)", new { senders = senders.ToArray() }))
            .ToDictionary(r => r.Sender);
        stored.Count.ShouldBe(senders.Count);
        for (var i = 0; i < senders.Count; i++)
        {
            stored[senders[i]].Version.ShouldBe(i % 2 == 0 ? 2 : 1);
            stored[senders[i]].Flow.ShouldBe(i % 2 == 0 ? $"f{i}" : "");
        }
    }
}
