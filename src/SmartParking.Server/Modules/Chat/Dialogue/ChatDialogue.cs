using System.Globalization;
using SmartParking.Server.Modules.Chat.Conversations;
using SmartParking.Server.Modules.Chat.Handoff;
using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Server.Modules.Web;

namespace SmartParking.Server.Modules.Chat.Dialogue;

/// <summary>
/// What the assistant says and does for a parsed message, given where the conversation stands. Slot-filling: a flow
/// (named by its intent) asks for what it lacks, takes the answer from the next message, and finishes through the
/// platform's own services (the web app's place finder and driver search). A confident new request replaces the
/// pending one; "no"/"stop" drops it. The time and length asked for stay with the place for the next request ("parking
/// near Dokk1 tomorrow at 9", then "book it"). Replies are in the conversation's language.
/// </summary>
public sealed class ChatDialogue(PlaceFinder places, DriverSearch search, DriverFlows driverFlows, BillingFlow billing, HandoffStore handoffs, LotCatalog lots,
    OccupancyForecasts forecasts, NluEngine nlu, TimeProvider time)
{
    private const int ResultsShown = 3;

    /// <summary>The nearest lots looked at for the <see cref="ResultsShown"/>: enough that a full one nearby gives way to a free one a little further.</summary>
    private const int Candidates = 10;
    private const int MaxPlaceChars = 200;

    /// <summary>Requests that act for a driver: answered only for a known driver.</summary>
    private static readonly HashSet<string> DriverIntents = new(StringComparer.Ordinal)
    {
        "reserve", "my_bookings", "cancel_reservation", "extend", "start_session", "stop_session", "report_issue", "billing",
    };

    /// <summary>Requests that start a flow, and so may interrupt one that is waiting for an answer.</summary>
    private static readonly HashSet<string> TaskIntents = new(DriverIntents, StringComparer.Ordinal) { "find_parking", "check_price", "human_handoff", "help" };

    /// <summary>How sure the NLU must be before a message interrupts a question the assistant is waiting on.</summary>
    private const double InterruptConfidence = 0.6;

    /// <summary>Words besides its entities that make a message holding the awaited answer a request of its own.</summary>
    private const int MoreThanAnAnswer = 3;

    private static int WordsBesideEntities(NluParse parse)
    {
        var text = parse.Text.ToCharArray();
        foreach (var e in parse.Entities.Where(e => e.End <= text.Length))
            for (var i = e.Start; i < e.End; i++) text[i] = ' ';
        return new string(text).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Count(w => w.Any(char.IsLetter));
    }

    /// <summary>The slot with the lots of the list just shown, in order, for "the second one" in the next message.</summary>
    private const string ListedSlot = "listed";

    public async Task<IReadOnlyList<ChatReply>> RespondAsync(Conversation conversation, NluParse parse, CancellationToken ct)
    {
        var state = conversation.State;
        // A list is picked from in the message right after it, or not at all.
        var listed = state.Slots.Remove(ListedSlot, out var ids) ? ids.Split(' ').Select(id => Guid.TryParse(id, out var lot) ? lot : Guid.Empty).ToList() : [];
        // The answer to "what time on Tuesday?": "at 9" is on Tuesday ("tomorrow at 9" still means tomorrow).
        if (state.Awaiting == "time" && DriverFlows.WholeDay(state) is { } day)
            parse = parse with
            {
                Entities = [.. parse.Entities.Where(e => e.Extractor != TimeExpressions.ExtractorName)
                    .Concat(TimeExpressions.Find(parse.Text, time.GetUtcNow(), nlu.DefaultZone, day)).OrderBy(e => e.Start)],
            };
        var intent = parse.Intent.Name;
        var say = new Say(conversation.Language);

        if (state.Awaiting is { } awaiting && state.Flow is { } flow)
        {
            if (intent is "deny" or "goodbye" && parse.Intent.Confidence >= InterruptConfidence)
            {
                state.Clear();
                return [new ChatReply(say.T("OK, let's leave that. Anything else?", "OK, vi lader det ligge. Andet jeg kan hjælpe med?"))];
            }
            // A message that answers the question ("90 minutes", "at Dokk1 please") continues the flow whatever else it
            // sounds like; one that says more than the answer ("how much is 2 hours at Dokk1?") is a new request carrying it.
            var answers = parse.First(awaiting) is not null || (awaiting == DialogueState.Confirmation && intent == "affirm");
            var interrupts = TaskIntents.Contains(intent) && intent != flow && parse.Intent.Confidence >= InterruptConfidence
                             && (!answers || WordsBesideEntities(parse) >= MoreThanAnAnswer);
            if (!interrupts)
            {
                Fill(state, awaiting, parse);
                return await RunAsync(flow, conversation, parse, say, ct);
            }
            state.Clear();
        }

        if (listed.Count > 0 && ChatPhrases.Pick(parse, listed.Count) is { } picked && PickedFor(parse) is { } pickedFlow)
        {
            state.Offered = null;
            if (pickedFlow == "check_price")
            {
                if (await lots.FindAsync(listed[picked], ct) is not { } lot) return [new ChatReply(say.T("That car park no longer exists.", "Det p-hus findes ikke længere."))];
                state.Slots["location"] = lot.Name;
            }
            else state.Slots["lot"] = listed[picked].ToString();
            return await RunAsync(pickedFlow, conversation, parse, say, ct);
        }

        if (state.Offered is { Count: > 0 } offered && intent == "affirm")
        {
            var first = offered[0];
            state.Offered = null;
            return await RunAsync(first, conversation, parse, say, ct);
        }
        state.Offered = null;

        return intent switch
        {
            NluModel.FallbackIntent => Clarify(state, parse, say),
            "greet" => [Greeting(say)],
            "goodbye" => Goodbye(state, say),
            "thanks" => [new ChatReply(say.T("You're welcome!", "Selv tak!"))],
            "affirm" or "deny" => [new ChatReply(say.T("OK. What can I do for you?", "OK. Hvad kan jeg gøre for dig?"), MainMenu(say))],
            "help" => [Help(say)],
            _ => await RunAsync(intent, conversation, parse, say, ct),
        };
    }

    /// <summary>
    /// What a pick from the list is for: the flow a confident request names (start parking, a price, a problem there),
    /// else a booking, as the list's buttons offer ("ok, the second one", "nummer 2"); null for a confident request that
    /// is about something else (the driver's bookings), which goes its own way.
    /// </summary>
    private static string? PickedFor(NluParse parse)
    {
        var intent = parse.Intent.Name;
        if (parse.Intent.Confidence < InterruptConfidence || intent is "reserve" or "affirm" or "find_parking") return "reserve";
        if (intent is "start_session" or "check_price" or "report_issue") return intent;
        return TaskIntents.Contains(intent) || intent == "deny" ? null : "reserve";
    }

    private async Task<IReadOnlyList<ChatReply>> RunAsync(string flow, Conversation conversation, NluParse parse, Say say, CancellationToken ct)
    {
        var state = conversation.State;
        state.Flow = flow;
        state.Answered = state.Awaiting;
        state.Awaiting = null;
        Take(state, parse);
        if (DriverIntents.Contains(flow) && conversation.DriverId is null)
        {
            state.Clear();
            return [SignInFirst(say)];
        }
        var driver = conversation.DriverId.GetValueOrDefault();
        return flow switch
        {
            "find_parking" => await FindParkingAsync(state, parse, say, ct),
            "check_price" => await CheckPriceAsync(state, parse, say, ct),
            "my_bookings" => Finished(state, await driverFlows.MyBookingsAsync(driver, say, ct)),
            "cancel_reservation" => await driverFlows.CancelAsync(driver, state, say, ct),
            "stop_session" => await driverFlows.StopAsync(driver, state, say, ct),
            "extend" => await driverFlows.ExtendAsync(driver, state, say, ct),
            "reserve" or "start_session" or "report_issue" => await AtLotAsync(flow, conversation, state, parse, say, ct),
            "human_handoff" => await HandOverAsync(conversation, parse, say, ct),
            "billing" => Finished(state, await billing.LatestAsync(driver, say, ct)),
            _ => OutOfScope(state, say),
        };
    }

    private async Task<IReadOnlyList<ChatReply>> FindParkingAsync(DialogueState state, NluParse parse, Say say, CancellationToken ct)
    {
        var (place, question) = await PlaceAsync(state, parse, say, ct);
        if (place is null) return [question!];
        var passed = Passed(state, say);
        if (DriverFlows.VagueTimeQuestion(state, say, dayIsEnough: true) is { } vague) return DriverFlows.Question(state, "time", vague);
        if (LaterAsked(state) is { } later) return await FindLaterAsync(place, state, later, say, ct);
        var results = await SearchAsync(place, state, ct);
        Done(state);
        if (results.Count == 0)
            return [new ChatReply(passed + say.T($"I found no parking near {place.Name}.", $"Jeg fandt ingen parkering nær {place.Name}."))];
        var lines = results.Select((r, i) =>
            $"{i + 1}. {r.Name}: {Free(r, say)}, {DriverFormat.Distance(r.DistanceMeters)}, {DriverFormat.Money(r.PricePerHour, r.Currency)}{say.T("/h", "/t")}");
        var header = state.Slots.GetValueOrDefault("space_type") is { } type
            ? say.T($"Free {TypeName(type, say)} spaces near {place.Name} now:", $"Ledige {TypeName(type, say)}-pladser nær {place.Name} nu:")
            : say.T($"Free parking near {place.Name} now:", $"Ledig parkering nær {place.Name} nu:");
        Listed(state, results);
        return [new ChatReply(passed + header + "\n" + string.Join("\n", lines), ReserveButtons(results, say))];
    }

    /// <summary>
    /// For a time already gone ("yesterday at 9", "on 1 December"): forgets it, so the answer is for now, and says so;
    /// "" otherwise.
    /// </summary>
    private string Passed(DialogueState state, Say say)
    {
        if (!DriverFlows.Passed(state, time.GetUtcNow())) return "";
        DriverFlows.ForgetTime(state);
        return say.T("That time has passed, so this is for now. ", "Det tidspunkt er passeret, så her er det for nu. ");
    }

    private static void Listed(DialogueState state, IEnumerable<ParkingResult> shown) => state.Slots[ListedSlot] = string.Join(' ', shown.Select(r => r.LotId));

    private static List<ChatButton> ReserveButtons(IEnumerable<ParkingResult> results, Say say) =>
        results.Select(r => DriverFlows.ReserveButton(r.LotId, r.Name, say)).ToList();

    /// <summary>A time asked for that is not now: a whole day, or an instant more than <see cref="DriverFlows.LiveAhead"/> ahead.</summary>
    private sealed record Later(DateTimeOffset Start, bool WholeDay);

    private Later? LaterAsked(DialogueState state)
    {
        if (DriverFlows.Start(state) is not { } start) return null;
        if (DriverFlows.WholeDay(state) is { } day)
            return day > DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), nlu.DefaultZone).DateTime) ? new Later(start, true) : null;
        return start > time.GetUtcNow() + DriverFlows.LiveAhead ? new Later(start, false) : null;
    }

    /// <summary>
    /// Parking near a place at a later time: the lots' usual occupancy then (their forecast) instead of today's counts,
    /// those expected to have space first; for an hour, the stay's price then, for a whole day, when each usually fills.
    /// </summary>
    private async Task<IReadOnlyList<ChatReply>> FindLaterAsync(Place place, DialogueState state, Later later, Say say, CancellationToken ct)
    {
        var type = state.Slots.GetValueOrDefault("space_type");
        var nearest = await search.SearchAsync(place.Latitude, place.Longitude, new SearchFilter(type), ct, Candidates);
        Done(state);
        if (nearest.Count == 0)
            return [new ChatReply(say.T($"I found no parking near {place.Name}.", $"Jeg fandt ingen parkering nær {place.Name}."))];
        var zone = TimeZoneInfo.FindSystemTimeZoneById(nearest[0].TimeZone);
        var local = TimeZoneInfo.ConvertTime(later.Start, zone);
        var (from, to) = later.WholeDay ? (later.Start, later.Start.AddDays(1)) : (later.Start, later.Start.AddHours(1));
        var duration = TimeSpan.FromMinutes(DriverFlows.Minutes(state) ?? 60);
        var quotes = later.WholeDay ? null : await search.QuotesAsync(nearest.Select(r => r.LotId).ToList(), later.Start, duration, type, ct);
        var closedAllDay = new HashSet<Guid>();
        if (later.WholeDay)
            foreach (var r in nearest)
                if (await lots.FindAsync(r.LotId, ct) is { } lot && lot.IsClosedThroughout(from, to)) closedAllDay.Add(r.LotId);
        bool Open(ParkingResult r) => quotes is null ? !closedAllDay.Contains(r.LotId) : quotes.GetValueOrDefault(r.LotId) is { Open: true };
        // Open ones first. Over a day, by distance (each line says when it usually fills), so only those shown need a
        // forecast; for an hour, those expected to have space come next, which takes every candidate's.
        var byDay = later.WholeDay ? nearest.OrderByDescending(Open).ThenBy(r => r.DistanceMeters).Take(ResultsShown).ToList() : null;
        var outlook = await forecasts.OutlookAsync((byDay ?? nearest).Select(r => r.LotId).ToList(), from, to, ct);
        // The hour's forecast share; null without one (no history yet), which may well have space.
        double? Share(ParkingResult r) => outlook[r.LotId] is { Count: > 0 } points ? points[0].Occupancy : null;
        var shown = byDay ?? nearest.OrderByDescending(Open).ThenByDescending(r => Share(r) is not >= ForecastHints.Full).ThenBy(r => r.DistanceMeters)
            .Take(ResultsShown).ToList();
        var hasSpace = say.T("usually has space", "plejer at have ledige pladser");
        var usuallyFull = say.T("usually full", "plejer at være fuld");
        var lines = shown.Select((r, i) =>
        {
            var points = outlook[r.LotId];
            var usually = points.Count == 0 ? say.T("no forecast", "ingen prognose")
                : later.WholeDay ? points.FirstOrDefault(p => p.Occupancy >= ForecastHints.Full) is not { } full ? hasSpace
                    : full == points[0] ? usuallyFull
                    : say.T("usually full by ", "plejer at være fuld kl. ") + Clock(TimeZoneInfo.ConvertTime(full.Hour, zone))
                : points[0].Occupancy >= ForecastHints.Full ? usuallyFull
                // A lot whose spaces are not listed one by one has a share to go by, not a count.
                : r.Spaces == 0 ? hasSpace
                : string.Create(CultureInfo.InvariantCulture, $"{say.T("usually about", "normalt ca.")} {(int)Math.Round(r.Spaces * (1 - points[0].Occupancy))} {say.T("free", "ledige")}");
            var price = !Open(r) ? say.T(later.WholeDay ? "closed that day" : "closed then", later.WholeDay ? "lukket den dag" : "lukket da")
                : quotes is null ? DriverFormat.Money(r.PricePerHour, r.Currency) + say.T("/h now", "/t nu")
                : $"{DriverFormat.Money(quotes[r.LotId].Amount, quotes[r.LotId].Currency)} for {say.T(DriverFormat.Duration(duration), DanishDuration(duration))}";
            return $"{i + 1}. {r.Name}: {usually}, {DriverFormat.Distance(r.DistanceMeters)}, {price}";
        });
        var when = later.WholeDay
            ? say.T($"on {say.Day(local.DateTime)}", say.Day(local.DateTime))
            : say.T($"on {say.Day(local.DateTime)} at {Clock(local)}", $"{say.Day(local.DateTime)} kl. {Clock(local)}");
        var header = type is not null
            ? say.T($"{Capitalised(TypeName(type, say))} spaces near {place.Name} {when}:", $"{Capitalised(TypeName(type, say))}-pladser nær {place.Name} {when}:")
            : say.T($"Parking near {place.Name} {when}:", $"Parkering nær {place.Name} {when}:");
        Listed(state, shown);
        return [new ChatReply(header + "\n" + string.Join("\n", lines), ReserveButtons(shown, say))];
    }

    private static string Clock(DateTimeOffset local) => local.ToString("HH:mm", CultureInfo.InvariantCulture);

    private static string Capitalised(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private async Task<IReadOnlyList<ChatReply>> CheckPriceAsync(DialogueState state, NluParse parse, Say say, CancellationToken ct)
    {
        var (place, question) = await PlaceAsync(state, parse, say, ct);
        if (place is null) return [question!];
        var passed = Passed(state, say);
        // Prices change over the day: a day alone ("tomorrow") needs its time.
        if (DriverFlows.VagueTimeQuestion(state, say, dayIsEnough: false) is { } vague) return DriverFlows.Question(state, "time", vague);
        var results = await SearchAsync(place, state, ct);
        Done(state);
        if (results.Count == 0)
            return [new ChatReply(say.T($"I found no parking near {place.Name} to price.", $"Jeg fandt ingen parkering nær {place.Name} at give en pris på."))];
        var duration = TimeSpan.FromMinutes(DriverFlows.Minutes(state) ?? 60);
        var start = DriverFlows.Start(state) is { } at && at > time.GetUtcNow() ? at : time.GetUtcNow();
        var quotes = await search.QuotesAsync(results.Select(r => r.LotId).ToList(), start, duration, state.Slots.GetValueOrDefault("space_type"), ct);
        var lines = results.Where(r => quotes.ContainsKey(r.LotId)).Select(r => quotes[r.LotId] is { Open: true } quote
            ? $"{r.Name}: {DriverFormat.Money(quote.Amount, quote.Currency)}"
            : $"{r.Name}: {say.T("closed for part of that time", "lukket i en del af tiden")}").ToList();
        var when = start > time.GetUtcNow().AddMinutes(1) ? say.T(" from ", " fra ") + LocalTime(start, results[0].TimeZone, say) : "";
        return [new ChatReply(passed + say.T($"Parking for {DriverFormat.Duration(duration)}{when} near {place.Name}:", $"Parkering i {DanishDuration(duration)}{when} nær {place.Name}:")
            + "\n" + string.Join("\n", lines))];
    }

    /// <summary>A flow that needs one lot: the one a button named, else the nearest to the place asked for.</summary>
    private async Task<IReadOnlyList<ChatReply>> AtLotAsync(string flow, Conversation conversation, DialogueState state, NluParse parse, Say say, CancellationToken ct)
    {
        var driver = conversation.DriverId.GetValueOrDefault();
        // A report is told in the words of the message that started it.
        if (flow == "report_issue" && !state.Slots.ContainsKey("issue")) state.Slots["issue"] = parse.Text.Trim();
        if (!(state.Slots.TryGetValue("lot", out var chosen) && Guid.TryParse(chosen, out var lotId)))
        {
            // A problem named without a place is most likely where the driver is parked (or about to be).
            if (flow == "report_issue" && parse.First("location") is null && !ChatPhrases.AfterPlacePreposition(parse).Any()
                && state.Awaiting != "location" && await driverFlows.CurrentLotAsync(driver, ct) is { } current)
                return await driverFlows.ReportAsync(driver, current, state, conversation.Channel, say, ct);
            var (place, question) = await PlaceAsync(state, parse, say, ct, flow == "report_issue"
                ? new ChatReply(say.T("Which car park is it at? Tell me its name, the street or a place nearby.",
                    "Hvilket p-anlæg drejer det sig om? Skriv navnet, gaden eller et sted i nærheden."))
                : null);
            if (place is null) return [question!];
            var nearest = (await SearchAsync(place, state, ct)).FirstOrDefault();
            if (nearest is null)
            {
                Done(state);
                return [new ChatReply(say.T($"I found no parking near {place.Name}.", $"Jeg fandt ingen parkering nær {place.Name}."))];
            }
            lotId = nearest.LotId;
        }
        return flow switch
        {
            "reserve" => await driverFlows.ReserveAsync(driver, lotId, state, say, ct),
            "report_issue" => await driverFlows.ReportAsync(driver, lotId, state, conversation.Channel, say, ct),
            _ => await driverFlows.StartAsync(driver, lotId, state, say, ct),
        };
    }

    /// <summary>
    /// Puts the chat in a person's queue: the operator of the lot talked about, else of the driver's current parking,
    /// else of the nearest lot to the place talked about; with none of those, the platform's own staff.
    /// </summary>
    private async Task<IReadOnlyList<ChatReply>> HandOverAsync(Conversation conversation, NluParse parse, Say say, CancellationToken ct)
    {
        var state = conversation.State;
        var lotId = state.Slots.TryGetValue("lot", out var chosen) && Guid.TryParse(chosen, out var id) ? id : (Guid?)null;
        if (lotId is null && conversation.DriverId is { } driver) lotId = await driverFlows.CurrentLotAsync(driver, ct);
        if (lotId is null && state.Slots.TryGetValue("location", out var location) && await places.FindAsync(location, null, ct) is { } place)
            lotId = (await SearchAsync(place, state, ct)).FirstOrDefault()?.LotId;
        var tenant = lotId is { } lot ? (await lots.FindAsync(lot, ct))?.TenantId : null;
        conversation.HandoffId = await handoffs.OpenAsync(conversation, tenant, parse.Text.Trim(), ct);
        state.Clear();
        var who = tenant is { } t ? await lots.TenantNameAsync(t, ct) : null;
        return [new ChatReply(say.T(
                $"I've asked a person{(who is null ? "" : " at " + who)} to take over. They'll answer here; until then, everything you write goes to them.",
                $"Jeg har bedt en medarbejder{(who is null ? "" : " hos " + who)} om at tage over. Du får svar her; indtil da går alt, hvad du skriver, til dem."),
            [BackToAssistant(say)])];
    }

    /// <summary>The button that ends a hand-over (Rasa's /restart).</summary>
    public static ChatButton BackToAssistant(Say say) => new(say.T("Back to the assistant", "Tilbage til assistenten"), "/restart");

    /// <summary>The place a flow is about: found, or the question to ask for it (keeping the flow waiting on "location").</summary>
    private async Task<(Place? Place, ChatReply? Question)> PlaceAsync(DialogueState state, NluParse parse, Say say, CancellationToken ct, ChatReply? ask = null)
    {
        var answersWhere = state.Answered == "location";
        if (!state.Slots.ContainsKey("location"))
        {
            // The tagger missed it: what follows "near"/"at"/"ved"… may still be a place the finder knows.
            foreach (var candidate in ChatPhrases.AfterPlacePreposition(parse))
                if (await places.FindAsync(candidate, null, ct) is { } known)
                {
                    state.Slots["location"] = candidate;
                    return (known, null);
                }
        }
        // The tagger may have caught only part of a name: a longer phrase around it that the finder knows wins.
        if (parse.First("location") is { } tagged && state.Slots.GetValueOrDefault("location") == tagged.Value)
            foreach (var candidate in ChatPhrases.AroundPlace(parse, tagged, answersWhere))
                if (await places.FindAsync(candidate, null, ct) is { } longer)
                {
                    state.Slots["location"] = candidate;
                    return (longer, null);
                }
        if (!state.Slots.TryGetValue("location", out var location) || string.IsNullOrWhiteSpace(location))
        {
            state.Awaiting = "location";
            return (null, ask ?? new ChatReply(say.T("Where would you like to park? Tell me a place, an address or a car park.",
                "Hvor vil du parkere? Skriv et sted, en adresse eller et p-hus.")));
        }
        var place = await places.FindAsync(location, null, ct);
        if (place is not null) return (place, null);
        state.Slots.Remove("location");
        state.Awaiting = "location";
        return (null, new ChatReply(say.T($"I couldn't find \"{location}\". Try a street, a landmark or a car park's name.",
            $"Jeg kunne ikke finde \"{location}\". Prøv en gade, et kendt sted eller et p-hus.")));
    }

    /// <summary>The nearest lots, those with a free space first.</summary>
    private async Task<IReadOnlyList<ParkingResult>> SearchAsync(Place place, DialogueState state, CancellationToken ct)
    {
        // The nearest few, those with a free space first: a chat shows three, not a page.
        var results = await search.SearchAsync(place.Latitude, place.Longitude, new SearchFilter(state.Slots.GetValueOrDefault("space_type")), ct, Candidates);
        return results.OrderByDescending(r => r.Free > 0).ThenBy(r => r.DistanceMeters).Take(ResultsShown).ToList();
    }

    private static string Free(ParkingResult r, Say say) =>
        r.Free > 0 ? string.Create(CultureInfo.InvariantCulture, $"{r.Free} {say.T("free", "ledige")}")
        : r.InService > 0 ? say.T("full", "fuldt")
        : say.T("no live count", "intet live-tal");

    private static IReadOnlyList<ChatReply> Finished(DialogueState state, IReadOnlyList<ChatReply> replies)
    {
        Done(state);
        return replies;
    }

    /// <summary>A flow is finished; its place and filters stay for the next question ("and how much is it there?").</summary>
    private static void Done(DialogueState state)
    {
        state.Flow = null;
        state.Awaiting = null;
    }

    /// <summary>Takes a message's entities into the slots.</summary>
    private static void Take(DialogueState state, NluParse parse)
    {
        foreach (var e in parse.Entities)
        {
            switch (e.Entity)
            {
                case "location" or "space_type" or "plate":
                    state.Slots[e.Entity] = e.Value;
                    break;
                case "time":
                    state.Slots["time"] = e.Value;
                    state.Slots[DriverFlows.TimeGrain] = e.Extra?.GetValueOrDefault("grain") ?? "minute";
                    state.Slots.Remove(DriverFlows.TimeUntil);
                    // "from 9 to 11" also says how long; "until 15:00" (from now) also says when it ends, which is what
                    // an extension moves the end to.
                    if (e.Extra?.GetValueOrDefault("to") is { } to && DateTimeOffset.TryParse(to, CultureInfo.InvariantCulture, DateTimeStyles.None, out var end)
                        && DateTimeOffset.TryParse(e.Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var from) && end > from)
                    {
                        state.Slots["duration_seconds"] = ((int)(end - from).TotalSeconds).ToString(CultureInfo.InvariantCulture);
                        state.Slots[DriverFlows.TimeUntil] = to;
                    }
                    break;
                case "duration":
                    if (e.Extra?.GetValueOrDefault("seconds") is { } seconds)
                    {
                        state.Slots["duration_seconds"] = seconds;
                        state.Slots.Remove(DriverFlows.TimeUntil);
                    }
                    break;
                // Ids only come from the assistant's own buttons; the flows still check they are the driver's.
                case "reservation" or "session" or "lot" when e.Extractor == "payload":
                    state.Slots[e.Entity] = e.Value;
                    break;
            }
        }
    }

    /// <summary>The answer to the question asked: the matching entity, or for a place the whole message ("Dokk1").</summary>
    private static void Fill(DialogueState state, string slot, NluParse parse)
    {
        if (slot == DialogueState.Confirmation)
        {
            if (parse.Intent.Name == "affirm") state.Slots[DialogueState.Confirmation] = "yes";
            return;
        }
        if (slot == "plate" && parse.First("plate") is null && Lots.Plates.IsValid(parse.Text.Trim()))
        {
            state.Slots["plate"] = parse.Text.Trim();
            return;
        }
        if (slot == "location" && parse.First("location") is null)
        {
            var text = parse.Text.Trim().TrimEnd('.', '!', '?');
            if (text.Length is > 0 and <= MaxPlaceChars) state.Slots["location"] = text;
        }
    }

    private static IReadOnlyList<ChatReply> Clarify(DialogueState state, NluParse parse, Say say)
    {
        var guesses = parse.Ranking.Where(r => r.Name != NluModel.FallbackIntent && TaskIntents.Contains(r.Name)).Take(2).Select(r => r.Name).ToList();
        state.Offered = guesses.Count > 0 ? [guesses[0]] : null;
        var buttons = guesses.Select(g => new ChatButton(IntentTitle(g, say), "/" + g))
            .Append(new ChatButton(say.T("Talk to a person", "Tal med en person"), "/human_handoff")).ToList();
        return [new ChatReply(guesses.Count > 0
            ? say.T($"Sorry, I'm not sure I understood. Did you want to {IntentTitle(guesses[0], say).ToLowerInvariant()}?",
                $"Undskyld, jeg er ikke sikker på, at jeg forstod. Ville du {IntentTitle(guesses[0], say).ToLowerInvariant()}?")
            : say.T("Sorry, I didn't understand that. What would you like to do?", "Undskyld, det forstod jeg ikke. Hvad vil du gerne?"), buttons)];
    }

    private static ChatReply Greeting(Say say) =>
        new(say.T("Hi! I can find parking near a place, tell you prices, and book or start parking for you. What do you need?",
            "Hej! Jeg kan finde parkering nær et sted, fortælle priser og booke eller starte parkering for dig. Hvad har du brug for?"), MainMenu(say));

    private static IReadOnlyList<ChatReply> Goodbye(DialogueState state, Say say)
    {
        state.Clear();
        return [new ChatReply(say.T("Goodbye, and drive safely!", "Farvel, og kør forsigtigt!"))];
    }

    private static ChatReply Help(Say say) => new(say.T(
        "I can:\n- find free parking near a place (\"parking near the station\")\n- tell you prices (\"how much for 2 hours at Dokk1?\")\n" +
        "- reserve a space, list, extend or cancel your bookings\n- start and stop pay-as-you-park\n- report a problem at a space\n- put you through to a person",
        "Jeg kan:\n- finde ledig parkering nær et sted (\"parkering ved stationen\")\n- fortælle priser (\"hvad koster 2 timer ved Dokk1?\")\n" +
        "- reservere en plads, vise, forlænge eller annullere dine bookinger\n- starte og stoppe parkering\n- melde et problem ved en plads\n- sætte dig i kontakt med en person"),
        MainMenu(say));

    private static ChatReply SignInFirst(Say say) => new(say.T(
        "I can do that once I know who you are. Sign in to the SmartParking app and use the chat there, or link this chat to your account: send “link” and the code the app shows under My parking → Chat.",
        "Det kan jeg, når jeg ved, hvem du er. Log ind i SmartParking-appen og brug chatten der, eller forbind denne chat til din konto: skriv “forbind” og koden, appen viser under Min parkering → Chat."));

    /// <summary>An intent the training data has but no flow answers (such as out_of_scope): say what the assistant is for.</summary>
    private static IReadOnlyList<ChatReply> OutOfScope(DialogueState state, Say say)
    {
        state.Clear();
        return [new ChatReply(say.T("Sorry, I can only help with parking: finding a space, prices, bookings, paying and problems at a car park.",
            "Beklager, jeg kan kun hjælpe med parkering: finde en plads, priser, bookinger, betaling og problemer ved et p-anlæg."), MainMenu(say))];
    }

    private static List<ChatButton> MainMenu(Say say) =>
    [
        new(say.T("Find parking", "Find parkering"), "/find_parking"),
        new(say.T("Prices", "Priser"), "/check_price"),
        new(say.T("My bookings", "Mine bookinger"), "/my_bookings"),
    ];

    private static string IntentTitle(string intent, Say say) => intent switch
    {
        "find_parking" => say.T("Find parking", "Finde parkering"),
        "check_price" => say.T("Check prices", "Se priser"),
        "reserve" => say.T("Reserve a space", "Reservere en plads"),
        "my_bookings" => say.T("See your bookings", "Se dine bookinger"),
        "cancel_reservation" => say.T("Cancel a booking", "Annullere en booking"),
        "extend" => say.T("Extend your parking", "Forlænge din parkering"),
        "start_session" => say.T("Start parking", "Starte parkering"),
        "stop_session" => say.T("Stop parking", "Stoppe parkering"),
        "report_issue" => say.T("Report a problem", "Melde et problem"),
        "billing" => say.T("Ask about a payment", "Spørge om en betaling"),
        "human_handoff" => say.T("Talk to a person", "Tale med en person"),
        _ => say.T("Get help", "Få hjælp"),
    };

    private static string TypeName(string type, Say say) => type switch
    {
        "ev" => say.T("EV charging", "elbil"),
        "accessible" => say.T("accessible", "handicap"),
        "motorcycle" => say.T("motorcycle", "motorcykel"),
        "compact" => say.T("compact", "lille bil"),
        _ => type,
    };

    private static string DanishDuration(TimeSpan d) => DriverFormat.Duration(d).Replace(" h", " t", StringComparison.Ordinal);

    private static string LocalTime(DateTimeOffset at, string timeZone, Say say)
    {
        var local = TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(timeZone));
        return $"{say.Day(local.DateTime)} {Clock(local)}";
    }
}
