using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Availability;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Chat;

/// <summary>
/// One story's fixtures, made through the public API on the shared server: its chat sender, its driver (with a saved
/// card), its lot (a unique name, open around the clock), their sessions and bookings, and another driver's. Also the
/// values the placeholders in the story's texts stand for.
/// </summary>
public sealed partial class StoryWorld : IDisposable
{
    private const int Spaces = 3;

    [GeneratedRegex(@"\{(?<name>[a-z][a-z0-9_]*)(?::(?<arg>\d{1,5}))?\}")]
    private static partial Regex Placeholder();

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private StoryWorld(BookingFactory factory, StoryFixtures fixtures)
    {
        Factory = factory;
        Fixtures = fixtures;
        // Telegram's ids are numbers and WhatsApp's phone numbers; the REST channel takes any text.
        Sender = fixtures.Channel switch
        {
            "telegram" => Random.Shared.NextInt64(1, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "whatsapp" => "45" + Random.Shared.NextInt64(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "story-" + Guid.NewGuid().ToString("N")[..12],
        };
        _values["random_id"] = Guid.NewGuid().ToString();
    }

    public BookingFactory Factory { get; }

    public StoryFixtures Fixtures { get; }

    public string Sender { get; }

    public Guid? DriverId { get; private set; }

    /// <summary>Who the assistant takes the story's messages to be from: a signed-in REST driver is their own web chat.</summary>
    public (string Channel, string Sender) Chat => Fixtures.Channel == "rest" && DriverId is { } id ? ("web", id.ToString()) : (Fixtures.Channel, Sender);

    /// <summary>The story's driver's API client (their bearer token); null for an anonymous story.</summary>
    public HttpClient? Driver { get; private set; }

    public HttpClient? OtherDriver { get; private set; }

    public Guid? LotId { get; private set; }

    public string? Value(string name) => _values.GetValueOrDefault(name);

    public static async Task<StoryWorld> SetUpAsync(BookingFactory factory, ChatStory story)
    {
        var world = new StoryWorld(factory, story.Fixtures);
        var f = story.Fixtures;
        if (f.Driver != "anonymous")
        {
            var (account, client) = await factory.DriverAsync(f.Driver == "declined_card" ? "sandbox_decline" : "sandbox_ok");
            (world.DriverId, world.Driver) = (account.Id, client);
        }
        if (story.Steps.OfType<UserStep>().Any(s => s.Text.Contains("{link_code}", StringComparison.Ordinal)))
        {
            if (world.Driver is null) throw new StoryFormatException($"{story.Id}: {{link_code}} is the story's driver's code: set 'driver'");
            world._values["link_code"] = (await (await world.Driver.PostAsync("/api/v1/me/chat-link-code", null)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("code");
        }
        if (!f.Lot) return world;
        var spaces = await world.OpenLotAsync();
        for (var i = 0; i < f.Sessions.Count; i++)
            world.Add("session", i, (await StartSessionAsync(world.Driver!, world.LotId!.Value, f.Sessions[i])).ToString());
        for (var i = 0; i < f.Bookings; i++)
            world.Add("booking", i, (await BookingFactory.BookPaidAsync(world.Driver!,
                BookingFactory.Booking(world.LotId!.Value, spaces[0], factory.Clock.GetUtcNow().AddDays(i + 1), TimeSpan.FromHours(1)))).ToString());
        if (f.OtherDriver)
        {
            world.OtherDriver = (await factory.DriverAsync()).Client;
            world._values["other_booking"] = (await BookingFactory.BookPaidAsync(world.OtherDriver,
                BookingFactory.Booking(world.LotId!.Value, spaces[1], factory.Clock.GetUtcNow().AddDays(1), TimeSpan.FromHours(1)))).ToString();
            world._values["other_session"] = (await StartSessionAsync(world.OtherDriver, world.LotId!.Value, "OT 99 999")).ToString();
        }
        return world;
    }

    /// <summary>The text with each {placeholder} replaced; <paramref name="escape"/> prepares a value for where it goes (a regex).</summary>
    public string Fill(string text, Func<string, string>? escape = null) => Placeholder().Replace(text, m =>
    {
        var name = m.Groups["name"].Value;
        // {long:5000}: a message of that many characters, for the length limit.
        var value = name == "long" && int.TryParse(m.Groups["arg"].Value, out var length) ? string.Concat(Enumerable.Repeat("zzzz ", length / 5 + 1))[..length]
            : _values.GetValueOrDefault(name) ?? throw new StoryFormatException($"no value for {{{name}}}: known here are {string.Join(", ", _values.Keys.Append("long:N").Order())}");
        return escape is null ? value : escape(value);
    });

    private void Add(string name, int index, string value) => _values[index == 0 ? name : $"{name}_{index + 1}"] = value;

    /// <summary>A lot of a name no other story uses (20⁶ words), open around the clock at one flat rate, once the availability model (the search's) has it.</summary>
    private async Task<IReadOnlyList<Guid>> OpenLotAsync()
    {
        // A made-up word and a kind of place the NLU's tagger knows in both languages: "Kbxwrt Station".
        var word = new string(Enumerable.Range(0, 6).Select(_ => "bcdfghjklmnpqrstvwxz"[Random.Shared.Next(20)]).ToArray());
        var name = char.ToUpperInvariant(word[0]) + word[1..] + " Station";
        using var op = Factory.OperatorClient();
        var (lat, lng) = IngestKit.SomewhereNew();
        var lot = Payloads.Lot(name, lat, lng);
        lot["openingHours"] = new JsonArray();
        lot["baseHourlyRate"] = 12m;
        var lotId = (await op.CreateLotAsync(lot)).Id();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { peakMultiplier = 1.0, offPeakMultiplier = 1.0 })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var spaces = new List<Guid>();
        for (var i = 0; i < Spaces; i++) spaces.Add((await op.CreateSensorAsync(lotId, $"S{i + 1}")).SpaceId);
        var model = Factory.Services.GetRequiredService<AvailabilityModel>();
        await Poll.UntilAsync(() => Task.FromResult(model.Lot(lotId) is not null), known => known, IngestKit.Eventually, $"lot {name} in the availability model");
        LotId = lotId;
        _values["lot"] = lotId.ToString();
        _values["lot_name"] = name;
        return spaces;
    }

    private static async Task<Guid> StartSessionAsync(HttpClient driver, Guid lotId, string plate) =>
        (await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate, durationMinutes = 60 })).ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();

    public void Dispose()
    {
        Driver?.Dispose();
        OtherDriver?.Dispose();
    }
}

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
        ["booking_kept"] = async w => await StatusAsync(Mine(w), $"/api/v1/reservations/{w.Value("booking")}", "confirmed") ?? await HoursAsync(w, h => h == 1, "as booked (1 h)"),
        ["booking_extended"] = async w => await StatusAsync(Mine(w), $"/api/v1/reservations/{w.Value("booking")}", "confirmed") ?? await HoursAsync(w, h => h > 1, "longer than booked (1 h)"),
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
        ["handoff_waiting"] = w => HandoffAsync(w, "waiting"),
        ["handoff_closed"] = w => HandoffAsync(w, "closed"),
        ["linked"] = async w => Expect($"a {w.Fixtures.Channel} chat linked to the driver", await LinksAsync(w), l => l.Str("channel") == w.Fixtures.Channel),
        ["not_linked"] = async w => Refuse($"a {w.Fixtures.Channel} chat linked to the driver", await LinksAsync(w), l => l.Str("channel") == w.Fixtures.Channel),
    };

    public static IReadOnlySet<string> Known { get; } = Facts.Keys.ToHashSet(StringComparer.Ordinal);

    public static Task<string?> CheckAsync(StoryWorld world, string fact) => Facts[fact](world);

    /// <summary>The chat's latest hand-over, as the operator of the story's lot (or the platform's staff, without one) sees it in the queue.</summary>
    private static async Task<string?> HandoffAsync(StoryWorld w, string status)
    {
        var id = (await w.Factory.ColumnAsync("select id::text from chat_handoffs where channel = $1 and sender = $2 order by requested_at desc limit 1", w.Chat.Channel, w.Factory.ChatSenderKey(w.Chat.Channel, w.Chat.Sender)))
            .SingleOrDefault();
        if (id is null) return "no hand-over of this chat";
        using var staff = w.LotId is null ? w.Factory.ClientFor(await w.Factory.CreateAdminAsync()) : w.Factory.OperatorClient();
        var thread = await staff.GetJsonAsync($"/api/v1/chat/handoffs/{id}");
        return thread.GetProperty("handoff").Str("status") == status ? null : $"the hand-over is {thread.GetProperty("handoff").Str("status")}";
    }

    private static HttpClient Mine(StoryWorld w) => w.Driver ?? throw new StoryFormatException("this check is about the story's driver: set 'driver'");

    private static HttpClient Theirs(StoryWorld w) => w.OtherDriver ?? throw new StoryFormatException("this check is about another driver: set 'other_driver: true'");

    private static async Task<IReadOnlyList<JsonElement>> LotBookingsAsync(StoryWorld w) =>
        (await Mine(w).GetJsonAsync("/api/v1/reservations")).Items().Where(r => r.GetProperty("lotId").GetGuid() == w.LotId).ToList();

    private static async Task<IReadOnlyList<JsonElement>> LinksAsync(StoryWorld w) => (await Mine(w).GetJsonAsync("/api/v1/me/chat-links")).EnumerateArray().ToList();

    /// <summary>How long {booking} lasts now, in hours, against what the story expects.</summary>
    private static async Task<string?> HoursAsync(StoryWorld w, Func<double, bool> expected, string what)
    {
        var booking = await Mine(w).GetJsonAsync($"/api/v1/reservations/{w.Value("booking")}");
        var hours = (booking.GetProperty("end").GetDateTimeOffset() - booking.GetProperty("start").GetDateTimeOffset()).TotalHours;
        return expected(hours) ? null : $"{{booking}} lasts {hours} h, not {what}";
    }

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
