using SmartParking.Server.Modules.Chat.Channels;
using SmartParking.Server.Modules.Chat.Conversations;
using SmartParking.Server.Modules.Chat.Dialogue;
using SmartParking.Server.Modules.Chat.Handoff;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Server.Platform.Hosting;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Chat;

/// <summary>The chat assistant: NLU trained from Rasa YAML, Rasa's HTTP API, dialogue and channels.</summary>
public static class ChatModule
{
    public static void AddChatModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChatOptions>().BindConfiguration(ChatOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<NluEngine>();
        // Trained ahead only where chat is served; elsewhere (a worker's subscriber) it trains on first use.
        if (builder.NodeRole().Runs(NodeParts.Api)) builder.Services.AddHostedService(sp => sp.GetRequiredService<NluEngine>());
        builder.Services.AddSingleton<ConversationWriter>();
        builder.Services.AddSingleton<ConversationStore>();
        builder.Services.AddSingleton<ChatDialogue>();
        builder.Services.AddSingleton<DriverFlows>();
        builder.Services.AddSingleton<BillingFlow>();
        builder.Services.AddSingleton<ChatAssistant>();
        builder.Services.AddSingleton<ChatAccountLinks>();
        builder.Services.AddSingleton<ChatSenderKeys>();
        builder.Services.AddSingleton<IScheduledJob, ChatSenderRekeying>();
        builder.Services.AddSingleton<IPersonalDataHolder, ChatPersonalData>();
        builder.Services.AddSingleton<HandoffFeed>();
        builder.Services.AddSingleton<HandoffStore>();
        builder.Services.AddProtectedColumn(new ProtectedColumn(ConversationStore.TurnsField, "turns", "turns_encrypted"));
        builder.Services.AddProtectedColumn(new ProtectedColumn(HandoffStore.TextField, "text", "text_encrypted"));
        builder.Services.AddProtectedColumn(new ProtectedColumn(HandoffStore.SenderField, null, "sender_encrypted"));
        builder.Services.AddProtectedColumn(new ProtectedColumn(ChatAccountLinks.SenderField, null, "sender_encrypted"));
        builder.Services.AddSingleton<ChatHandoffs>();
        builder.Services.AddSingleton<HandoffFeedSubscriber>();
        builder.Services.AddEventSubscriber<HandoffFeedSubscriber>("chat.handoff-feed", EventDelivery.EveryNode);
        builder.Services.AddSingleton<IScheduledJob, HandoffCleanup>();
        builder.Services.AddSingleton<IScheduledJob, ConversationCleanup>();
        builder.Services.AddSingleton<IRetentionRule, ChatTranscriptRetention>();
        builder.AddChatChannels();
    }
}
