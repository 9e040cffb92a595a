namespace SmartParking.Server.Modules.Chat;

internal static partial class ChatLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Chat NLU trained on {Examples} examples of {Intents} intents in {Milliseconds} ms")]
    public static partial void NluTrained(ILogger logger, int examples, int intents, long milliseconds);
}
