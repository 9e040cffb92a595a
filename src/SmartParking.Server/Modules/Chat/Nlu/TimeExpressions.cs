namespace SmartParking.Server.Modules.Chat.Nlu;

// Placeholder until the time-expression branch lands.
public static class TimeExpressions
{
    public static IReadOnlyList<ExtractedEntity> Find(string text, DateTimeOffset now, TimeZoneInfo zone) => [];
}
