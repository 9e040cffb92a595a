using System.Globalization;
using SmartParking.Server.Modules.Chat.Conversations;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Modules.Web;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Chat.Dialogue;

/// <summary>
/// What a known driver can do by chat with their own bookings and meter sessions, through the same services the app
/// calls (so the same rules, refunds and charges apply). Anything that changes money or a booking is done only after an
/// explicit yes. Every lookup is by the driver's id: an id typed in the chat that is not theirs is simply not found.
/// </summary>
public sealed class DriverFlows(ReservationQueries reservations, ReservationService booking, SessionService sessions, LotCatalog lots, DriverSearch search,
    IOperatorAlerts alerts, TimeProvider time)
{
    private const int Listed = 5;

    public async Task<IReadOnlyList<ChatReply>> MyBookingsAsync(Guid driver, Say say, CancellationToken ct)
    {
        var upcoming = await UpcomingAsync(driver, ct);
        var running = await RunningAsync(driver, ct);
        if (upcoming.Count == 0 && running.Count == 0)
            return [new ChatReply(say.T("You have no upcoming bookings and no parking running.", "Du har ingen kommende bookinger og ingen parkering i gang."))];
        var names = await NamesAsync(upcoming.Select(r => r.LotId).Concat(running.Select(s => s.LotId)), ct);
        var lines = new List<string>();
        foreach (var s in running)
            lines.Add(say.T($"Parking now at {names[s.LotId].Name} ({s.Plate}) until {Clock(s.EndsAt, names[s.LotId])}",
                $"Parkerer nu ved {names[s.LotId].Name} ({s.Plate}) til {Clock(s.EndsAt, names[s.LotId])}"));
        foreach (var r in upcoming)
            lines.Add(say.T($"Booked: {names[r.LotId].Name}, space {r.SpaceLabel}, {Window(r, names[r.LotId], say)} ({Status(r.Status, say)})",
                $"Booket: {names[r.LotId].Name}, plads {r.SpaceLabel}, {Window(r, names[r.LotId], say)} ({Status(r.Status, say)})"));
        return [new ChatReply(string.Join("\n", lines))];
    }

    public async Task<IReadOnlyList<ChatReply>> CancelAsync(Guid driver, DialogueState state, Say say, CancellationToken ct)
    {
        var upcoming = await UpcomingAsync(driver, ct);
        var chosen = Chosen(state, "reservation", upcoming.Select(r => r.Id));
        if (chosen is null)
        {
            if (upcoming.Count == 0) return End(state, say.T("You have no upcoming bookings to cancel.", "Du har ingen kommende bookinger at annullere."));
            if (state.Slots.ContainsKey("reservation")) return End(state, say.T("I can't find that booking among yours.", "Jeg kan ikke finde den booking blandt dine."));
            if (upcoming.Count > 1) return await ChooseAsync(state, "cancel_reservation", "reservation", upcoming, say, ct);
            chosen = upcoming[0].Id;
        }
        var reservation = upcoming.First(r => r.Id == chosen);
        var names = await NamesAsync([reservation.LotId], ct);
        if (!Confirmed(state, "reservation", reservation.Id))
            return Ask(state, say.T($"Cancel your booking at {names[reservation.LotId].Name}, {Window(reservation, names[reservation.LotId], say)}?",
                $"Annuller din booking ved {names[reservation.LotId].Name}, {Window(reservation, names[reservation.LotId], say)}?"), say);
        return await DoAsync(state, say, async () =>
        {
            await booking.CancelAsync(driver, reservation.Id, ct);
            return say.T($"Done: your booking at {names[reservation.LotId].Name} is cancelled. Any refund due goes back to how you paid.",
                $"Færdig: din booking ved {names[reservation.LotId].Name} er annulleret. En eventuel refusion går tilbage til din betalingsmåde.");
        });
    }

    public async Task<IReadOnlyList<ChatReply>> StopAsync(Guid driver, DialogueState state, Say say, CancellationToken ct)
    {
        var running = await RunningAsync(driver, ct);
        var chosen = Chosen(state, "session", running.Select(s => s.Id));
        if (chosen is null)
        {
            if (running.Count == 0) return End(state, say.T("You have no parking running.", "Du har ingen parkering i gang."));
            if (state.Slots.ContainsKey("session")) return NotYourSession(state, say);
            if (running.Count > 1) return await ChooseSessionAsync(state, "stop_session", running, say, ct);
            chosen = running[0].Id;
        }
        var session = running.First(s => s.Id == chosen);
        var names = await NamesAsync([session.LotId], ct);
        if (!Confirmed(state, "session", session.Id))
            return Ask(state, say.T($"Stop your parking at {names[session.LotId].Name} for {session.Plate} now?",
                $"Stop din parkering ved {names[session.LotId].Name} for {session.Plate} nu?"), say);
        return await DoAsync(state, say, async () =>
        {
            var stopped = await sessions.StopAsync(driver, session.Id, ct);
            var amount = stopped.Amount is { } a ? string.Create(CultureInfo.InvariantCulture, $" {a:0.00} {stopped.Currency}") : "";
            return say.T($"Stopped. You pay for the time you parked:{amount}.", $"Stoppet. Du betaler for den tid, du holdt:{amount}.");
        });
    }

    /// <summary>
    /// More time on a running meter session, or a later end for a booking (its extra price told before the yes, then
    /// charged to the saved method). Which one, when the driver has more than one, is asked with buttons.
    /// </summary>
    public async Task<IReadOnlyList<ChatReply>> ExtendAsync(Guid driver, DialogueState state, Say say, CancellationToken ct)
    {
        var running = await RunningAsync(driver, ct);
        var upcoming = await UpcomingAsync(driver, ct);
        var session = Chosen(state, "session", running.Select(s => s.Id));
        var reservation = Chosen(state, "reservation", upcoming.Select(r => r.Id));
        if (session is null && reservation is null)
        {
            if (state.Slots.ContainsKey("session") || state.Slots.ContainsKey("reservation")) return NotYourSession(state, say);
            if (running.Count + upcoming.Count == 0)
                return End(state, say.T("You have no parking running and no booking to extend.", "Du har ingen parkering i gang og ingen booking at forlænge."));
            if (running.Count + upcoming.Count > 1) return await ChooseExtensionAsync(state, running, upcoming, say, ct);
            if (running.Count == 1) session = running[0].Id;
            else reservation = upcoming[0].Id;
        }
        return session is { } sessionId
            ? await ExtendSessionAsync(driver, running.First(s => s.Id == sessionId), state, say, ct)
            : await ExtendBookingAsync(driver, upcoming.First(r => r.Id == reservation), state, say, ct);
    }

    private async Task<IReadOnlyList<ChatReply>> ExtendSessionAsync(Guid driver, SessionResponse session, DialogueState state, Say say, CancellationToken ct)
    {
        if (MinutesMore(state, session.EndsAt) is not { } minutes)
        {
            ForgetTime(state);
            state.Slots["session"] = session.Id.ToString();
            return HowMuchLonger(state, say);
        }
        var names = await NamesAsync([session.LotId], ct);
        if (!Confirmed(state, "session", session.Id))
            return Ask(state, say.T($"Add {minutes} min to your parking at {names[session.LotId].Name}?", $"Tilføj {minutes} min til din parkering ved {names[session.LotId].Name}?"), say);
        return await DoAsync(state, say, async () =>
        {
            var extended = await sessions.ExtendAsync(driver, session.Id, new ExtendSessionRequest(minutes), ct);
            return say.T($"Done: you can now park until {Clock(extended.EndsAt, names[extended.LotId])}.", $"Færdig: du kan nu parkere til {Clock(extended.EndsAt, names[extended.LotId])}.");
        });
    }

    /// <summary>Minutes to add to a parking ending at <paramref name="end"/>: up to the end said ("until 15:00"), else the duration said.</summary>
    private static int? MinutesMore(DialogueState state, DateTimeOffset end)
    {
        if (Until(state) is not { } until) return Minutes(state);
        return until > end ? (int)Math.Ceiling((until - end).TotalMinutes) : null;
    }

    /// <summary>The end asked for a booking ending at <paramref name="end"/>; null when the driver has not said how much longer.</summary>
    private static DateTimeOffset? NewEnd(DialogueState state, DateTimeOffset end, TimeZoneInfo zone)
    {
        // The end quoted is kept, so the yes moves the booking to the end the driver agreed to.
        if (SlotTime(state, ExtendedEnd) is { } quoted) return quoted;
        if (Until(state) is { } until) return ExtendedUntil(until, end, zone);
        if (Minutes(state) is { } minutes) return end.AddMinutes(minutes);
        // A time said ("to 15:00"); a bare day or week ("until tomorrow") only when it is after the end.
        if (Start(state) is { } at && (at > end || state.Slots.GetValueOrDefault(TimeGrain) is not ("day" or "week"))) return ExtendedUntil(at, end, zone);
        return null;
    }

    /// <summary>The booking's end moved by the asked duration ("1 hour more") or to the asked time ("until 15").</summary>
    private async Task<IReadOnlyList<ChatReply>> ExtendBookingAsync(Guid driver, ReservationResponse reservation, DialogueState state, Say say, CancellationToken ct)
    {
        state.Slots["reservation"] = reservation.Id.ToString();
        var names = await NamesAsync([reservation.LotId], ct);
        var lot = names[reservation.LotId];
        if (NewEnd(state, reservation.End, lot.Zone) is not { } end)
        {
            ForgetTime(state);
            return HowMuchLonger(state, say);
        }
        if (!Confirmed(state, "reservation", reservation.Id))
        {
            ExtensionQuote quote;
            try
            {
                quote = await booking.QuoteExtensionAsync(driver, reservation.Id, new ExtensionRequest(end), ct);
            }
            catch (Exception e) when (e is ConflictException or ValidationException or NotFoundException)
            {
                return End(state, say.T("That booking can't be extended so: ", "Den booking kan ikke forlænges sådan: ") + ChatRefusals.Reason(e, say));
            }
            state.Slots[ExtendedEnd] = quote.End.ToString("O", CultureInfo.InvariantCulture);
            var price = DriverFormat.Money(quote.Extra, quote.Currency);
            return Ask(state, say.T($"Extend your booking at {lot.Name}, space {reservation.SpaceLabel}, to {Day(quote.End, lot, say)} {Clock(quote.End, lot)} for {price} more, paid with your saved payment method?",
                $"Forlæng din booking ved {lot.Name}, plads {reservation.SpaceLabel}, til {Day(quote.End, lot, say)} {Clock(quote.End, lot)} for {price} mere, betalt med din gemte betalingsmåde?"), say);
        }
        return await DoAsync(state, say, async () =>
        {
            var extended = await booking.ExtendAsync(driver, reservation.Id, new ExtensionRequest(end), ct);
            var paid = DriverFormat.Money(extended.Price - reservation.Price, extended.Currency.Trim());
            return say.T($"Done: your booking at {lot.Name} now ends at {Clock(extended.End, lot)}. Paid {paid} more.",
                $"Færdig: din booking ved {lot.Name} slutter nu kl. {Clock(extended.End, lot)}. Betalt {paid} mere.");
        });
    }

    /// <summary>
    /// The end a driver asks for with a clock time ("until 15:00") for a booking ending at <paramref name="end"/>: the
    /// time as said when it is after the end. Otherwise that clock time at the lot on the booking's last day, or the day
    /// after: a time said without a day is read from today, and a booking may be days ahead. The quote names the day.
    /// </summary>
    internal static DateTimeOffset ExtendedUntil(DateTimeOffset asked, DateTimeOffset end, TimeZoneInfo zone)
    {
        if (asked > end) return asked;
        var clock = TimeZoneInfo.ConvertTime(asked, zone).TimeOfDay;
        var lastDay = TimeZoneInfo.ConvertTime(end, zone).Date;
        var onLastDay = AtLot(lastDay + clock, zone);
        return onLastDay > end ? onLastDay : AtLot(lastDay.AddDays(1) + clock, zone);
    }

    private static DateTimeOffset AtLot(DateTime local, TimeZoneInfo zone) => new(local, zone.GetUtcOffset(local));

    /// <summary>The slots a time said fills: the time, its grain and the end of a span.</summary>
    private static readonly string[] TimeSlots = ["time", TimeGrain, TimeUntil];

    /// <summary>The slots that say how much longer an extension is: a duration, or a time or span said.</summary>
    private static readonly string[] HowLongSlots = [.. TimeSlots, "duration_seconds"];

    /// <summary>The new end of a booking as quoted to the driver, kept until their yes.</summary>
    private const string ExtendedEnd = "extended_end";

    private static IReadOnlyList<ChatReply> HowMuchLonger(DialogueState state, Say say) =>
        Question(state, "duration", say.T("How much longer? For example “1 hour” or “30 minutes”.", "Hvor meget længere? For eksempel “1 time” eller “30 minutter”."));

    /// <summary>A space at the lot for the asked window: quoted, then booked and paid with the saved method after a yes.</summary>
    public async Task<IReadOnlyList<ChatReply>> ReserveAsync(Guid driver, Guid lotId, DialogueState state, Say say, CancellationToken ct)
    {
        if (Start(state) is not { } start)
            return Question(state, "time", say.T("When do you need the space? For example “tomorrow at 9”.", "Hvornår skal du bruge pladsen? For eksempel “i morgen kl. 9”."));
        if (Passed(state, time.GetUtcNow()))
        {
            ForgetTime(state);
            return Question(state, "time", say.T("That time has passed. When do you need the space?", "Det tidspunkt er passeret. Hvornår skal du bruge pladsen?"));
        }
        if (VagueTimeQuestion(state, say, dayIsEnough: false) is { } vague) return Question(state, "time", vague);
        if (Minutes(state) is not { } minutes)
            return Question(state, "duration", say.T("For how long? For example “2 hours”.", "Hvor længe? For eksempel “2 timer”."));
        var end = start.AddMinutes(minutes);
        // A booking is for a type of space; a driver who named none wants an ordinary one.
        var type = state.Slots.GetValueOrDefault("space_type") ?? "standard";
        var names = await NamesAsync([lotId], ct);
        var lot = names[lotId];
        var quote = await search.QuoteAsync(lotId, start, end - start, type, ct);
        if (quote is null) return End(state, say.T("That car park no longer exists.", "Det p-hus findes ikke længere."));
        if (!quote.Open) return End(state, say.T($"{lot.Name} is closed for part of that time.", $"{lot.Name} har lukket i en del af den tid."));
        var window = $"{Day(start, lot, say)} {Clock(start, lot)}–{Clock(end, lot)}";
        var price = DriverFormat.Money(quote.Amount, quote.Currency);
        if (!Confirmed(state, "lot", lotId))
            return Ask(state, say.T($"Reserve a space at {lot.Name}, {window}, for {price}, paid with your saved payment method?",
                $"Reserver en plads ved {lot.Name}, {window}, for {price}, betalt med din gemte betalingsmåde?"), say);
        return await DoAsync(state, say, async () =>
        {
            var held = await booking.CreateAsync(driver, new ReservationRequest(lotId, null, type, start, end, state.Slots.GetValueOrDefault("plate")), ct);
            try
            {
                var (paid, payment) = await booking.PayAsync(driver, held.Id, ct);
                return paid.Status == ReservationStatus.Confirmed
                    ? say.T($"Booked: space {paid.SpaceLabel} at {lot.Name}, {window}. Paid {DriverFormat.Money(payment.Amount, payment.Currency)}.",
                        $"Booket: plads {paid.SpaceLabel} ved {lot.Name}, {window}. Betalt {DriverFormat.Money(payment.Amount, payment.Currency)}.")
                    : say.T($"Space {paid.SpaceLabel} at {lot.Name} is held while your payment goes through; I'll confirm it in your bookings.",
                        $"Plads {paid.SpaceLabel} ved {lot.Name} holdes, mens din betaling går igennem; den vises under dine bookinger.");
            }
            catch (PaymentFailedException)
            {
                // A declined card must not leave the space held for nobody.
                await booking.CancelAsync(driver, held.Id, ct);
                throw;
            }
        });
    }

    /// <summary>A time this close is "now": live counts, not the forecast, and pay-as-you-park may start.</summary>
    internal static readonly TimeSpan LiveAhead = TimeSpan.FromMinutes(30);

    /// <summary>Pay-as-you-park at the lot now, for the plate and time asked, after a yes; for a later time, the way to reserve.</summary>
    public async Task<IReadOnlyList<ChatReply>> StartAsync(Guid driver, Guid lotId, DialogueState state, Say say, CancellationToken ct)
    {
        if (Start(state) is { } later && later > time.GetUtcNow() + LiveAhead)
        {
            var at = (await NamesAsync([lotId], ct))[lotId];
            var when = WholeDay(state) is not null ? Day(later, at, say) : $"{Day(later, at, say)} {Clock(later, at)}";
            // The time and place stay for the booking the button starts.
            state.Flow = null;
            state.Awaiting = null;
            state.Slots.Remove("lot");
            return [new ChatReply(say.T($"Pay-as-you-park starts when you park, so I can't start it for {when}. To have a space at {at.Name} then, reserve one; to start now, say “start parking now”.",
                    $"Parkering betales fra det øjeblik, du parkerer, så jeg kan ikke starte den til {when}. Reserver en plads ved {at.Name} til den tid, eller skriv “start parkering nu”."),
                [ReserveButton(lotId, at.Name, say)])];
        }
        if (!state.Slots.TryGetValue("plate", out var plate) || !Plates.IsValid(plate))
        {
            state.Slots.Remove("plate");
            return Question(state, "plate", say.T("Which number plate?", "Hvilken nummerplade?"));
        }
        if (Minutes(state) is not { } minutes)
            return Question(state, "duration", say.T("For how long? For example “2 hours”.", "Hvor længe? For eksempel “2 timer”."));
        var lot = (await NamesAsync([lotId], ct))[lotId];
        if (!Confirmed(state, "lot", lotId))
            return Ask(state, say.T($"Start parking at {lot.Name} for {Plates.Normalise(plate)}, {DriverFormat.Duration(TimeSpan.FromMinutes(minutes))}? You pay for the time you use.",
                $"Start parkering ved {lot.Name} for {Plates.Normalise(plate)}, {DriverFormat.Duration(TimeSpan.FromMinutes(minutes))}? Du betaler for den tid, du bruger."), say);
        return await DoAsync(state, say, async () =>
        {
            var started = await sessions.StartAsync(driver, new StartSessionRequest(lotId, null, plate, minutes), ct);
            return say.T($"Parking started at {lot.Name} for {started.Plate}, until {Clock(started.EndsAt, lot)}.",
                $"Parkering startet ved {lot.Name} for {started.Plate}, til {Clock(started.EndsAt, lot)}.");
        });
    }

    /// <summary>A problem at the lot, in the driver's words, as an alert on its operator's dashboard.</summary>
    public async Task<IReadOnlyList<ChatReply>> ReportAsync(Guid driver, Guid lotId, DialogueState state, string channel, Say say, CancellationToken ct)
    {
        if (await lots.FindAsync(lotId, ct) is not { } lot) return End(state, say.T("That car park no longer exists.", "Det p-hus findes ikke længere."));
        var words = state.Slots.GetValueOrDefault("issue") ?? "";
        var title = words.Length > MaxReportTitle ? words[..MaxReportTitle] + "…" : words;
        await alerts.ReportAsync(lot.TenantId, lot.Id, $"Driver report at {lot.Name}: {title}",
            $"{(words.Length > MaxReportDetail ? words[..MaxReportDetail] : words)}\n(Reported through the {channel} chat by driver {driver}.)", ct);
        return End(state, say.T($"Thanks. I've passed it to the operator of {lot.Name}; they'll look into it.",
            $"Tak. Jeg har givet det videre til operatøren af {lot.Name}; de ser på det."));
    }

    private const int MaxReportTitle = 80;
    private const int MaxReportDetail = 450;

    /// <summary>The lot of the driver's running parking, else of their next booking; null with neither.</summary>
    public async Task<Guid?> CurrentLotAsync(Guid driver, CancellationToken ct) =>
        (await RunningAsync(driver, ct)).FirstOrDefault()?.LotId ?? (await UpcomingAsync(driver, ct)).FirstOrDefault()?.LotId;

    /// <summary>The time asked for, in UTC (PostgreSQL takes no other offset); null when none was.</summary>
    internal static DateTimeOffset? Start(DialogueState state) => Asked(state)?.ToUniversalTime();

    /// <summary>The time slot as it was said: a local time with the offset of where it was said.</summary>
    private static DateTimeOffset? Asked(DialogueState state) => SlotTime(state, "time");

    private static DateTimeOffset? SlotTime(DialogueState state, string slot) =>
        state.Slots.TryGetValue(slot, out var t) && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at : null;

    /// <summary>The day asked for, when only a day was ("tomorrow", "on Friday"): a time of day is still to be asked.</summary>
    internal static DateOnly? WholeDay(DialogueState state) =>
        state.Slots.GetValueOrDefault(TimeGrain) == "day" && Asked(state) is { } at ? DateOnly.FromDateTime(at.DateTime) : null;

    /// <summary>Whether the time asked for is gone: a whole day before today ("yesterday"), or an instant more than five minutes ago.</summary>
    internal static bool Passed(DialogueState state, DateTimeOffset now)
    {
        if (Asked(state) is not { } at) return false;
        // A day is today or not where it was said: the offset it was written with.
        return WholeDay(state) is { } day ? day < DateOnly.FromDateTime(now.ToOffset(at.Offset).DateTime) : at < now.AddMinutes(-5);
    }

    /// <summary>The slot with the precision of the time asked for: minute, hour, day or week (Duckling's grain).</summary>
    internal const string TimeGrain = "time_grain";

    /// <summary>
    /// What to ask when the time was said as a week ("next week"), or as a day ("tomorrow") where a time of day is
    /// needed (a price, a booking); null when the time said will do. A week is forgotten: the answer names the day.
    /// </summary>
    internal static string? VagueTimeQuestion(DialogueState state, Say say, bool dayIsEnough)
    {
        if (!dayIsEnough && WholeDay(state) is { } day)
        {
            var named = say.Day(day.ToDateTime(TimeOnly.MinValue));
            return say.T($"What time on {named}? For example “at 9”.", $"Hvad tid {named}? For eksempel “kl. 9”.");
        }
        if (state.Slots.GetValueOrDefault(TimeGrain) != "week") return null;
        ForgetTime(state);
        return say.T("Which day and time? For example “Tuesday at 9”.", "Hvilken dag og hvad tid? For eksempel “tirsdag kl. 9”.");
    }

    internal static void ForgetTime(DialogueState state)
    {
        foreach (var slot in TimeSlots) state.Slots.Remove(slot);
    }

    /// <summary>The end of the time said when it was a span ("until 15:00", "from 9 to 11").</summary>
    internal const string TimeUntil = "time_until";

    /// <summary>The end said ("extend until 15:00"): an extension moves the end there, not by the span's length from now.</summary>
    private static DateTimeOffset? Until(DialogueState state) => SlotTime(state, TimeUntil)?.ToUniversalTime();

    /// <summary>The duration asked for, in whole minutes (at least one, at most a week); null when none was.</summary>
    internal static int? Minutes(DialogueState state) =>
        state.Slots.TryGetValue("duration_seconds", out var seconds) && int.TryParse(seconds, CultureInfo.InvariantCulture, out var s) && s >= 60
            ? (int)Math.Ceiling(Math.Min(s, 7 * 86_400) / 60.0) : null;

    /// <summary>Asks for a slot: the next message is read as its answer.</summary>
    internal static IReadOnlyList<ChatReply> Question(DialogueState state, string slot, string question)
    {
        state.Awaiting = slot;
        return [new ChatReply(question)];
    }

    private async Task<IReadOnlyList<ReservationResponse>> UpcomingAsync(Guid driver, CancellationToken ct)
    {
        var page = await reservations.ListOwnAsync(driver, null, Paging.From(1, 50), ct);
        var now = time.GetUtcNow();
        return page.Items.Where(r => r.Status is ReservationStatus.Held or ReservationStatus.Confirmed or ReservationStatus.CheckedIn && r.End > now)
            .OrderBy(r => r.Start).Take(Listed).ToList();
    }

    private async Task<IReadOnlyList<SessionResponse>> RunningAsync(Guid driver, CancellationToken ct) =>
        (await sessions.ListOwnAsync(driver, true, Paging.From(1, Listed), ct)).Items;

    /// <summary>The button that books at a lot: the reserve flow with the lot chosen.</summary>
    internal static ChatButton ReserveButton(Guid lotId, string name, Say say) =>
        new(say.T($"Reserve at {name}", $"Reserver ved {name}"), $"/reserve{{\"lot\": \"{lotId}\"}}");

    /// <summary>A lot as the replies name it, with the zone its times are told in.</summary>
    private sealed record LotLabel(string Name, TimeZoneInfo Zone);

    private async Task<Dictionary<Guid, LotLabel>> NamesAsync(IEnumerable<Guid> lotIds, CancellationToken ct)
    {
        var ids = lotIds.Distinct().ToList();
        var found = (await lots.PublicLotsAsync(ids, ct)).ToDictionary(l => l.Id,
            l => new LotLabel(l.Name, TimeZoneInfo.TryFindSystemTimeZoneById(l.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc));
        foreach (var id in ids) found.TryAdd(id, new LotLabel("?", TimeZoneInfo.Utc));
        return found;
    }

    /// <summary>The booking or session the driver picked (by a button or earlier in the flow), if it is one of theirs.</summary>
    private static Guid? Chosen(DialogueState state, string slot, IEnumerable<Guid> theirs) =>
        state.Slots.TryGetValue(slot, out var value) && Guid.TryParse(value, out var id) && theirs.Contains(id) ? id : null;

    private static bool Confirmed(DialogueState state, string slot, Guid id)
    {
        var confirmed = state.Slots.GetValueOrDefault(DialogueState.Confirmation) == "yes" && state.Slots.GetValueOrDefault(slot) == id.ToString();
        state.Slots[slot] = id.ToString();
        return confirmed;
    }

    private static IReadOnlyList<ChatReply> Ask(DialogueState state, string question, Say say)
    {
        state.Awaiting = DialogueState.Confirmation;
        state.Slots.Remove(DialogueState.Confirmation);
        return [new ChatReply(question, [new ChatButton(say.T("Yes", "Ja"), "/affirm"), new ChatButton(say.T("No", "Nej"), "/deny")])];
    }

    /// <summary>A session id (from a payload) that is not among the driver's running ones: said so, never swapped for theirs.</summary>
    private static IReadOnlyList<ChatReply> NotYourSession(DialogueState state, Say say) =>
        End(state, say.T("I can't find that parking among yours.", "Jeg kan ikke finde den parkering blandt dine."));

    private static IReadOnlyList<ChatReply> End(DialogueState state, string text)
    {
        state.Clear();
        return [new ChatReply(text)];
    }

    /// <summary>Does the confirmed change; the service's own refusal (too late to cancel, declined card) is told as it is.</summary>
    private static async Task<IReadOnlyList<ChatReply>> DoAsync(DialogueState state, Say say, Func<Task<string>> change)
    {
        state.Clear();
        try
        {
            return [new ChatReply(await change())];
        }
        catch (Exception e) when (e is ConflictException or ValidationException or PaymentFailedException or NotFoundException)
        {
            return [new ChatReply(say.T("That didn't work: ", "Det lykkedes ikke: ") + ChatRefusals.Reason(e, say))];
        }
    }

    private async Task<IReadOnlyList<ChatReply>> ChooseAsync(DialogueState state, string flow, string slot, IReadOnlyList<ReservationResponse> choices, Say say, CancellationToken ct)
    {
        var names = await NamesAsync(choices.Select(r => r.LotId), ct);
        state.Clear();
        return [new ChatReply(say.T("Which one?", "Hvilken?"),
            choices.Select(r => new ChatButton($"{names[r.LotId].Name}, {Window(r, names[r.LotId], say)}", $"/{flow}{{\"{slot}\": \"{r.Id}\"}}")).ToList())];
    }

    private async Task<IReadOnlyList<ChatReply>> ChooseSessionAsync(DialogueState state, string flow, IReadOnlyList<SessionResponse> choices, Say say, CancellationToken ct)
    {
        var names = await NamesAsync(choices.Select(s => s.LotId), ct);
        state.Clear();
        return [new ChatReply(say.T("Which one?", "Hvilken?"),
            choices.Select(s => new ChatButton($"{names[s.LotId].Name} ({s.Plate})", $"/{flow}{{\"session\": \"{s.Id}\"}}")).ToList())];
    }

    private async Task<IReadOnlyList<ChatReply>> ChooseExtensionAsync(DialogueState state, IReadOnlyList<SessionResponse> running,
        IReadOnlyList<ReservationResponse> upcoming, Say say, CancellationToken ct)
    {
        var names = await NamesAsync(running.Select(s => s.LotId).Concat(upcoming.Select(r => r.LotId)), ct);
        // "Extend my parking by 30 minutes" or "until 15:00" with more than one to extend: how much longer still holds for the one picked.
        var asked = HowLongSlots.Where(state.Slots.ContainsKey).Select(slot => (slot, state.Slots[slot])).ToList();
        state.Clear();
        foreach (var (slot, value) in asked) state.Slots[slot] = value;
        var buttons = running.Select(s => new ChatButton(say.T($"Parking at {names[s.LotId].Name} ({s.Plate})", $"Parkering ved {names[s.LotId].Name} ({s.Plate})"),
                $"/extend{{\"session\": \"{s.Id}\"}}"))
            .Concat(upcoming.Select(r => new ChatButton(say.T($"Booking at {names[r.LotId].Name}, {Window(r, names[r.LotId], say)}", $"Booking ved {names[r.LotId].Name}, {Window(r, names[r.LotId], say)}"),
                $"/extend{{\"reservation\": \"{r.Id}\"}}")))
            .ToList();
        return [new ChatReply(say.T("Which one?", "Hvilken?"), buttons)];
    }

    private static string Window(ReservationResponse r, LotLabel lot, Say say) => $"{Day(r.Start, lot, say)} {Clock(r.Start, lot)}–{Clock(r.End, lot)}";

    private static string Clock(DateTimeOffset at, LotLabel lot) => TimeZoneInfo.ConvertTime(at, lot.Zone).ToString("HH:mm", CultureInfo.InvariantCulture);

    private static string Day(DateTimeOffset at, LotLabel lot, Say say) => say.Day(TimeZoneInfo.ConvertTime(at, lot.Zone).DateTime);

    private static string Status(string status, Say say) => status switch
    {
        ReservationStatus.Held => say.T("awaiting payment", "afventer betaling"),
        ReservationStatus.Confirmed => say.T("confirmed", "bekræftet"),
        ReservationStatus.CheckedIn => say.T("checked in", "tjekket ind"),
        _ => status,
    };
}
