using System.Globalization;
using Microsoft.AspNetCore.Components;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Components;

namespace SmartParking.Server.Modules.Web.Components.Driver;

public partial class NotificationSettings
{
    private string _language = "en";
    private string? _phone, _timeZone, _message;
    private TimeOnly? _quietStart, _quietEnd;
    private bool _marketing;
    private Dictionary<string, HashSet<string>> _channels = NotificationKinds.ForDrivers.ToDictionary(k => k, _ => new HashSet<string>());

    [Parameter, EditorRequired] public Guid DriverId { get; set; }
    /// <summary>False until the circuit is up, when a click would do nothing.</summary>
    [Parameter] public bool Enabled { get; set; }

    [Inject] private PreferencesStore Preferences { get; set; } = null!;

    protected override async Task OnInitializedAsync() => Show(await Preferences.GetAsync(DriverId, CancellationToken.None));

    private void Show(DriverPreferences p)
    {
        _language = p.Language;
        _phone = p.Phone;
        _quietStart = p.QuietStart;
        _quietEnd = p.QuietEnd;
        _timeZone = p.TimeZone;
        _marketing = p.Marketing;
        _channels = NotificationKinds.ForDrivers.ToDictionary(k => k, k => p.ChannelsFor(k).ToHashSet());
    }

    private void Toggle(string kind, string channel, bool on)
    {
        if (on) _channels[kind].Add(channel);
        else _channels[kind].Remove(channel);
    }

    private async Task SaveAsync()
    {
        var quiet = _quietStart is null && _quietEnd is null
            ? new QuietHoursRequest(null, null, null)
            : new QuietHoursRequest(_quietStart?.ToString("HH:mm", CultureInfo.InvariantCulture), _quietEnd?.ToString("HH:mm", CultureInfo.InvariantCulture), _timeZone);
        var request = new PreferencesRequest(_language, _channels.ToDictionary(c => c.Key, c => c.Value.ToArray()), quiet, _phone ?? "", _marketing);
        DriverPreferences? saved = null;
        var error = await ServiceOutcome.RunAsync(async () =>
            saved = await Preferences.SaveAsync(DriverId, request, ConsentSources.Web, CancellationToken.None));
        if (saved is not null) Show(saved);
        _message = error ?? "Notification settings saved.";
    }

    private static string ChannelLabel(string channel) => channel switch
    {
        ChannelNames.Email => "E-mail",
        ChannelNames.Sms => "SMS",
        _ => "Push",
    };

    private static string KindLabel(string kind) => kind switch
    {
        NotificationKinds.ReservationConfirmed => "Reservation confirmed",
        NotificationKinds.ReservationReminder => "Reminder before the start",
        NotificationKinds.ReservationEndingSoon => "Reservation ending soon",
        NotificationKinds.SessionExpiring => "Meter time running out",
        NotificationKinds.ReservationExpired => "Unpaid reservation released",
        NotificationKinds.SessionExpired => "Meter time ended",
        NotificationKinds.NoShowFee => "No-show fee",
        NotificationKinds.PaymentFailed => "Payment failed",
        NotificationKinds.RefundIssued => "Refund issued",
        _ => "News and offers",
    };
}
