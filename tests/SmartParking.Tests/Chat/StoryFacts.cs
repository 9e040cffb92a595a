using System.Text.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>
/// The <c>check:</c> steps: what a story's conversation must have done to the platform, read back through the API as
/// the app and the operator's dashboard see it. Each answers null when it holds, else what was found instead.
/// </summary>
public static class StoryFacts
{
    private static readonly Dictionary<string, Func<StoryWorld, Task<string?>>> Facts = new(StringComparer.Ordinal)
    {
        ["booking_confirmed"] = async w => Expect("a confirmed booking of the driver at {lot}", await LotBookingsAsync(w), b => b.Str("status") == "confirmed"),
        ["no_active_booking"] = async w => Refuse("a held or confirmed booking of the driver at {lot}", await LotBookingsAsync(w), b => b.Str("status") is "held" or "confirmed"),
        ["booking_cancelled"] = w => StatusAsync(Mine(w), $"/api/v1/reservations/{w.Value("booking")}", "cancelled"),
        ["booking_kept"] = w => StatusAsync(Mine(w), $"/api/v1/reservations/{w.Value("booking")}", "confirmed"),
        ["other_booking_kept"] = w => StatusAsync(Theirs(w), $"/api/v1/reservations/{w.Value("other_booking")}", "confirmed"),
        ["session_running"] = async w => Expect("a running session of the driver at {lot}",
            (await Mine(w).GetJsonAsync("/api/v1/sessions?active=true")).Items(), s => s.GetProperty("lotId").GetGuid() == w.LotId),
        ["session_stopped"] = async w =>
            (await Mine(w).GetJsonAsync($"/api/v1/sessions/{w.Value("session")}")).Str("status") is var status && status != "active" ? null : "{session} is still active",
        ["session_kept"] = w => StatusAsync(Mine(w), $"/api/v1/sessions/{w.Value("session")}", "active"),
        ["other_session_kept"] = w => StatusAsync(Theirs(w), $"/api/v1/sessions/{w.Value("other_session")}", "active"),
        ["alert_open"] = async w =>
        {
            using var op = w.Factory.OperatorClient();
            return Expect("an open driver report naming {lot_name}", (await op.GetJsonAsync("/api/v1/manage/alerts?kind=driver_report")).Items(),
                a => a.Str("title").Contains(w.Value("lot_name")!, StringComparison.Ordinal) && a.Str("status") == "open");
        },
        ["linked"] = async w => Expect($"a {w.Fixtures.Channel} chat linked to the driver", await LinksAsync(w), l => l.Str("channel") == w.Fixtures.Channel),
        ["not_linked"] = async w => Refuse($"a {w.Fixtures.Channel} chat linked to the driver", await LinksAsync(w), l => l.Str("channel") == w.Fixtures.Channel),
    };

    public static IReadOnlySet<string> Known { get; } = Facts.Keys.ToHashSet(StringComparer.Ordinal);

    public static Task<string?> CheckAsync(StoryWorld world, string fact) => Facts[fact](world);

    private static HttpClient Mine(StoryWorld w) => w.Driver ?? throw new StoryFormatException("this check is about the story's driver: set 'driver'");

    private static HttpClient Theirs(StoryWorld w) => w.OtherDriver ?? throw new StoryFormatException("this check is about another driver: set 'other_driver: true'");

    private static async Task<IReadOnlyList<JsonElement>> LotBookingsAsync(StoryWorld w) =>
        (await Mine(w).GetJsonAsync("/api/v1/reservations")).Items().Where(r => r.GetProperty("lotId").GetGuid() == w.LotId).ToList();

    private static async Task<IReadOnlyList<JsonElement>> LinksAsync(StoryWorld w) => (await Mine(w).GetJsonAsync("/api/v1/me/chat-links")).EnumerateArray().ToList();

    private static async Task<string?> StatusAsync(HttpClient client, string url, string expected)
    {
        var status = (await client.GetJsonAsync(url)).Str("status");
        return status == expected ? null : $"{url} is {status}, not {expected}";
    }

    private static string? Expect(string what, IReadOnlyList<JsonElement> found, Func<JsonElement, bool> match) =>
        found.Any(match) ? null : $"no {what} among {Show(found)}";

    private static string? Refuse(string what, IReadOnlyList<JsonElement> found, Func<JsonElement, bool> match) =>
        found.Any(match) ? $"found {what}: {Show(found.Where(match).ToList())}" : null;

    private static string Show(IReadOnlyList<JsonElement> items) => items.Count == 0 ? "none" : string.Join("; ", items.Select(i => i.GetRawText()));
}
