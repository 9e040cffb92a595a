using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Components;

namespace SmartParking.Server.Modules.Chat;

/// <summary>
/// The assistant on the driver site: a Chat button opening a panel with the conversation. A signed-in driver talks as
/// themselves (one conversation per driver, whichever tab); a visitor under a random id kept for the browser tab. When
/// the chat is handed to a person, what they write arrives live: each hand-over change makes the widget fetch what was
/// said to this chat user since the last message it showed.
/// </summary>
public sealed partial class ChatWidget : IDisposable
{
    private const string VisitorKey = "smartparking.chat.visitor";
    private const string SeenKey = "smartparking.chat.seen";

    private sealed record ChatLine(string Author, string Text, IReadOnlyList<ChatButton> Buttons);

    /// <summary>Who said a line: the person using the widget, or the authors a hand-over records.</summary>
    private const string Own = "you";

    private readonly CancellationTokenSource _disposed = new();
    private readonly List<ChatLine> _lines = [];
    private ElementReference _opener, _input;
    private ChatSender? _sender;
    /// <summary>The id of the last message from a person shown in this tab; null until the tab first opens the chat.</summary>
    private long? _seen;
    /// <summary>
    /// Where the assistant's latest reply starts: only its buttons are live, older offers were overtaken by it. Messages
    /// that get no reply (those for a person, during a hand-over) leave it, so "Back to the assistant" stays.
    /// </summary>
    private int _latestReply;
    private bool _interactive, _open, _busy, _listening, _focusInput, _focusOpener;
    private int _unread;
    private string _draft = "";
    private string? _error;

    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = null!;
    [Inject] private ChatAssistant Assistant { get; set; } = null!;
    [Inject] private ChatHandoffs Handoffs { get; set; } = null!;
    [Inject] private IAuthorizationService Authorization { get; set; } = null!;
    [Inject] private IJSRuntime JS { get; set; } = null!;
    [Inject] private IOptions<ChatOptions> Options { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private ILogger<ChatWidget> Logger { get; set; } = null!;

    private int MaxMessageChars => Options.Value.MaxMessageChars;

    /// <summary>Only the interactive render gets here: the id comes from the tab's sessionStorage.</summary>
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _sender = await SenderAsync();
            _seen = long.TryParse(await JS.InvokeAsync<string?>("sessionStorage.getItem", _disposed.Token, SeenKey), out var seen) ? seen : null;
            _interactive = true;
            // A tab that has chatted keeps hearing from people after a reload, without opening the panel first.
            if (_seen is not null) Listen();
            StateHasChanged();
            return;
        }
        if (_focusInput)
        {
            _focusInput = false;
            await _input.FocusAsync();
        }
        if (_focusOpener)
        {
            _focusOpener = false;
            await _opener.FocusAsync();
        }
    }

    private async Task<ChatSender> SenderAsync()
    {
        var user = (await Authentication).User;
        if (user.Identity?.IsAuthenticated == true && (await Authorization.AuthorizeAsync(user, Policies.Driver)).Succeeded)
            return new ChatSender(ChatChannels.Web, user.UserId().ToString(), user.UserId());
        var visitor = await JS.InvokeAsync<string?>("sessionStorage.getItem", _disposed.Token, VisitorKey);
        if (!Guid.TryParseExact(visitor, "N", out _))
        {
            visitor = Guid.NewGuid().ToString("N");
            await JS.InvokeVoidAsync("sessionStorage.setItem", _disposed.Token, VisitorKey, visitor);
        }
        return new ChatSender(ChatChannels.Rest, visitor!);
    }

    private void Toggle()
    {
        if (_open) Close();
        else Open();
    }

    private void Open()
    {
        (_open, _unread, _focusInput) = (true, 0, true);
        Listen();
    }

    private void Close() => (_open, _focusOpener) = (false, true);

    private void OnKeyDown(KeyboardEventArgs e)
    {
        if (e.Key == "Escape") Close();
    }

    private async Task SendAsync()
    {
        var text = _draft.Trim();
        if (text.Length == 0 || _busy) return;
        _draft = "";
        await SayAsync(text, text);
    }

    /// <summary>A button says its title in the conversation and sends its payload to the assistant.</summary>
    private Task ChooseAsync(ChatButton choice) => _busy ? Task.CompletedTask : SayAsync(choice.Title, choice.Payload);

    private async Task SayAsync(string shown, string message)
    {
        _busy = true;
        _error = null;
        _lines.Add(new ChatLine(Own, shown, []));
        IReadOnlyList<ChatReply> replies = [];
        _error = await ServiceOutcome.RunAsync(async () => replies = await Assistant.ReplyAsync(_sender!, message, _disposed.Token));
        if (replies.Count > 0) _latestReply = _lines.Count;
        _lines.AddRange(replies.Select(r => new ChatLine(HandoffAuthors.Assistant, r.Text, r.Buttons ?? [])));
        _busy = false;
        // The clicked button is gone with its offer: the focus goes back to the text box.
        _focusInput = true;
    }

    private void Listen()
    {
        if (_listening || _sender is null) return;
        _listening = true;
        _ = ListenAsync(_disposed.Token);
    }

    /// <summary>Fetches what people said to this chat user now and whenever a hand-over changes, until the widget goes.</summary>
    private async Task ListenAsync(CancellationToken ct)
    {
        // Subscribed before the first fetch, so nothing said in between is missed.
        var changes = Handoffs.Subscribe(ct);
        var key = Handoffs.ChangeKeyOf(_sender!);
        var mine = true; // the first round fetches what was said before the widget opened
        try
        {
            do
            {
                // One fetch answers every change so far; other users' hand-overs are none of this widget's business.
                while (changes.TryRead(out var change)) mine |= change.ChatKey == key;
                if (!mine) continue;
                mine = false;
                try
                {
                    await InvokeAsync(() => FetchFromPeopleAsync(ct));
                }
                catch (Exception e) when (e is not OperationCanceledException and not JSDisconnectedException)
                {
                    Logger.LogWarning(e, "Could not fetch the operators' messages for the chat widget; trying again at the next change.");
                }
            }
            while (await changes.WaitToReadAsync(ct));
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or JSDisconnectedException)
        {
            // The widget is gone.
        }
    }

    private async Task FetchFromPeopleAsync(CancellationToken ct)
    {
        var messages = await Handoffs.MessagesToAsync(_sender!, _seen ?? 0, ct);
        // A tab's first look shows only what could still belong to an open hand-over, not every earlier chat.
        var since = _seen is null ? Time.GetUtcNow().AddHours(-Options.Value.HandoffIdleHours) : DateTimeOffset.MinValue;
        var shown = messages.Where(m => m.At >= since).Select(m => new ChatLine(m.Author, m.Text, [])).ToList();
        _lines.AddRange(shown);
        if (!_open) _unread += shown.Count;
        var seen = messages.Count > 0 ? messages[^1].Id : _seen ?? 0;
        if (seen != _seen)
        {
            _seen = seen;
            await JS.InvokeVoidAsync("sessionStorage.setItem", ct, SeenKey, seen.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        StateHasChanged();
    }

    private static string AuthorName(string author) => author switch
    {
        Own => "You",
        HandoffAuthors.Operator => "SmartParking staff",
        _ => "Assistant",
    };

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
