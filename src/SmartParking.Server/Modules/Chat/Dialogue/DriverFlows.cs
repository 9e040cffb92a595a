using System.Globalization;
using SmartParking.Server.Modules.Chat.Conversations;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Chat.Dialogue;

/// <summary>
/// What a known driver can do by chat with their own bookings and meter sessions, through the same services the app
/// calls (so the same rules, refunds and charges apply). Anything that changes money or a booking is done only after an
/// explicit yes. Every lookup is by the driver's id: an id typed in the chat that is not theirs is simply not found.
/// </summary>
public sealed class DriverFlows(ReservationQueries reservations, ReservationService booking, SessionService sessions, LotCatalog lots, TimeProvider time)
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
            lines.Add(say.T($"Booked: {names[r.LotId].Name}, space {r.SpaceLabel}, {Window(r, names[r.LotId])} ({Status(r.Status, say)})",
                $"Booket: {names[r.LotId].Name}, plads {r.SpaceLabel}, {Window(r, names[r.LotId])} ({Status(r.Status, say)})"));
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
            return Ask(state, say.T($"Cancel your booking at {names[reservation.LotId].Name}, {Window(reservation, names[reservation.LotId])}?",
                $"Annuller din booking ved {names[reservation.LotId].Name}, {Window(reservation, names[reservation.LotId])}?"), say);
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

    /// <summary>More time on the running session (a booking is extended in the app, where its new price is shown).</summary>
    public async Task<IReadOnlyList<ChatReply>> ExtendAsync(Guid driver, DialogueState state, Say say, CancellationToken ct)
    {
        var running = await RunningAsync(driver, ct);
        var chosen = Chosen(state, "session", running.Select(s => s.Id));
        if (chosen is null)
        {
            if (running.Count == 0)
                return End(state, say.T("You have no parking running to extend. To extend a booking, open it in the app.",
                    "Du har ingen parkering i gang at forlænge. En booking forlænger du i appen."));
            if (running.Count > 1) return await ChooseSessionAsync(state, "extend", running, say, ct);
            chosen = running[0].Id;
        }
        if (!state.Slots.TryGetValue("duration_seconds", out var seconds) || !int.TryParse(seconds, CultureInfo.InvariantCulture, out var s) || s < 60)
        {
            state.Slots["session"] = chosen.Value.ToString();
            state.Awaiting = "duration";
            return [new ChatReply(say.T("How much longer? For example \"1 hour\" or \"30 minutes\".", "Hvor meget længere? For eksempel \"1 time\" eller \"30 minutter\"."))];
        }
        var session = running.First(x => x.Id == chosen);
        var minutes = (int)Math.Ceiling(s / 60.0);
        var names = await NamesAsync([session.LotId], ct);
        if (!Confirmed(state, "session", session.Id))
            return Ask(state, say.T($"Add {minutes} min to your parking at {names[session.LotId].Name}?", $"Tilføj {minutes} min til din parkering ved {names[session.LotId].Name}?"), say);
        return await DoAsync(state, say, async () =>
        {
            var extended = await sessions.ExtendAsync(driver, session.Id, new ExtendSessionRequest(minutes), ct);
            return say.T($"Done: you can now park until {Clock(extended.EndsAt, names[extended.LotId])}.", $"Færdig: du kan nu parkere til {Clock(extended.EndsAt, names[extended.LotId])}.");
        });
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
            return [new ChatReply(say.T("That didn't work: ", "Det lykkedes ikke: ") + e.Message)];
        }
    }

    private async Task<IReadOnlyList<ChatReply>> ChooseAsync(DialogueState state, string flow, string slot, IReadOnlyList<ReservationResponse> choices, Say say, CancellationToken ct)
    {
        var names = await NamesAsync(choices.Select(r => r.LotId), ct);
        state.Clear();
        return [new ChatReply(say.T("Which one?", "Hvilken?"),
            choices.Select(r => new ChatButton($"{names[r.LotId].Name}, {Window(r, names[r.LotId])}", $"/{flow}{{\"{slot}\": \"{r.Id}\"}}")).ToList())];
    }

    private async Task<IReadOnlyList<ChatReply>> ChooseSessionAsync(DialogueState state, string flow, IReadOnlyList<SessionResponse> choices, Say say, CancellationToken ct)
    {
        var names = await NamesAsync(choices.Select(s => s.LotId), ct);
        state.Clear();
        return [new ChatReply(say.T("Which one?", "Hvilken?"),
            choices.Select(s => new ChatButton($"{names[s.LotId].Name} ({s.Plate})", $"/{flow}{{\"session\": \"{s.Id}\"}}")).ToList())];
    }

    private static string Window(ReservationResponse r, LotLabel lot) => $"{Day(r.Start, lot)} {Clock(r.Start, lot)}–{Clock(r.End, lot)}";

    private static string Clock(DateTimeOffset at, LotLabel lot) => TimeZoneInfo.ConvertTime(at, lot.Zone).ToString("HH:mm", CultureInfo.InvariantCulture);

    private static string Day(DateTimeOffset at, LotLabel lot) => TimeZoneInfo.ConvertTime(at, lot.Zone).ToString("ddd d MMM", CultureInfo.InvariantCulture);

    private static string Status(string status, Say say) => status switch
    {
        ReservationStatus.Held => say.T("awaiting payment", "afventer betaling"),
        ReservationStatus.Confirmed => say.T("confirmed", "bekræftet"),
        ReservationStatus.CheckedIn => say.T("checked in", "tjekket ind"),
        _ => status,
    };
}
