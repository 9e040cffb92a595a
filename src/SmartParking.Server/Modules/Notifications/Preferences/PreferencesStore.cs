using System.Globalization;
using System.Text.Json;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Notifications.Templates;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Input;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Notifications;

public static class ChannelNames
{
    public const string Email = "email";
    public const string Sms = "sms";
    public const string Push = "push";
    public static readonly string[] ForDrivers = [Email, Sms, Push];

    public static string Of(ChannelKind kind) => kind.ToString().ToLowerInvariant();

    public static ChannelKind Parse(string name) => Enum.Parse<ChannelKind>(name, ignoreCase: true);
}

/// <summary>A driver's choices as stored; <see cref="Default"/> when they never chose.</summary>
public sealed record DriverPreferences(
    Guid DriverId, string Language, IReadOnlyDictionary<string, string[]> Channels, TimeOnly? QuietStart, TimeOnly? QuietEnd, string? TimeZone,
    string? Phone, bool Marketing)
{
    /// <summary>E-mail for every kind until the driver chooses otherwise (marketing still needs their consent).</summary>
    public static readonly string[] DefaultChannels = [ChannelNames.Email];

    public static DriverPreferences Default(Guid driverId) => new(driverId, MessageTemplates.DefaultLanguage, new Dictionary<string, string[]>(), null, null, null, null, false);

    public string[] ChannelsFor(string kind) => Channels.TryGetValue(kind, out var chosen) ? chosen : DefaultChannels;

    public QuietHoursResponse? QuietHours => QuietStart is { } s && QuietEnd is { } e ? new QuietHoursResponse(s.ToString("HH:mm", CultureInfo.InvariantCulture), e.ToString("HH:mm", CultureInfo.InvariantCulture), TimeZone ?? "UTC") : null;

    public PreferencesResponse ToResponse() => new(Language,
        NotificationKinds.ForDrivers.ToDictionary(k => k, ChannelsFor), QuietHours, Phone, Marketing);
}

public sealed record QuietHoursRequest(string? Start, string? End, string? TimeZone);

/// <summary>
/// A change of preferences: each property left out (null) keeps its value. channels maps a kind to the channels wanted
/// for it (an empty list turns that kind off); quietHours with no start and end removes them; phone "" removes it.
/// </summary>
public sealed record PreferencesRequest(string? Language, Dictionary<string, string[]>? Channels, QuietHoursRequest? QuietHours, string? Phone, bool? Marketing);

public sealed record QuietHoursResponse(string Start, string End, string TimeZone);

public sealed record PreferencesResponse(string Language, IReadOnlyDictionary<string, string[]> Channels, QuietHoursResponse? QuietHours, string? Phone, bool Marketing);

/// <summary>
/// Drivers' notification preferences. Marketing is the driver's consent to the marketing_notifications purpose, which
/// the Privacy module keeps with its history: read from there and changed through there. The phone number is sealed at rest.
/// </summary>
public sealed class PreferencesStore(NpgsqlDataSource db, IConsents consents, TimeProvider time, FieldProtector protector)
{
    internal static readonly FieldScope PhoneField = new("notification_preferences", "phone");

    // Times travel as "HH:mm" text both ways, which keeps Dapper out of time-of-day type mapping.
    private sealed record Row(Guid DriverId, string Language, string Channels, string? QuietStart, string? QuietEnd, string? TimeZone, string? Phone, byte[]? PhoneEncrypted)
    {
        public DriverPreferences ToPreferences(bool marketing, FieldProtector protector) => new(DriverId, Language, JsonSerializer.Deserialize<Dictionary<string, string[]>>(Channels) ?? [],
            QuietStart is null ? null : TimeOnly.Parse(QuietStart, CultureInfo.InvariantCulture), QuietEnd is null ? null : TimeOnly.Parse(QuietEnd, CultureInfo.InvariantCulture),
            TimeZone, protector.Reveal(PhoneEncrypted, Phone, PhoneField), marketing);
    }

    public async Task<DriverPreferences> GetAsync(Guid driverId, CancellationToken ct) =>
        (await GetManyAsync([driverId], ct)).GetValueOrDefault(driverId) ?? DriverPreferences.Default(driverId);

    /// <summary>The preferences of those drivers who chose any or consented to marketing.</summary>
    public async Task<IReadOnlyDictionary<Guid, DriverPreferences>> GetManyAsync(IReadOnlyCollection<Guid> driverIds, CancellationToken ct)
    {
        if (driverIds.Count == 0) return new Dictionary<Guid, DriverPreferences>();
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition("""
            select driver_id, language, channels::text as channels, to_char(quiet_start, 'HH24:MI') as quiet_start, to_char(quiet_end, 'HH24:MI') as quiet_end, time_zone, phone, phone_encrypted
            from notification_preferences where driver_id = any(@ids)
            """, new { ids = driverIds.ToArray() }, cancellationToken: ct));
        var marketing = await consents.GrantedAsync(ConsentPurposes.MarketingNotifications, driverIds, ct);
        var found = rows.ToDictionary(r => r.DriverId, r => r.ToPreferences(marketing.Contains(r.DriverId), protector));
        foreach (var id in marketing.Where(id => !found.ContainsKey(id))) found[id] = DriverPreferences.Default(id) with { Marketing = true };
        return found;
    }

    /// <summary>Checks the whole change (every bad field named at once), saves it, and records a change of marketing consent.</summary>
    /// <param name="source">Where the change comes from (<see cref="ConsentSources"/>), recorded with a change of consent.</param>
    public async Task<DriverPreferences> SaveAsync(Guid driverId, PreferencesRequest request, string source, CancellationToken ct)
    {
        var current = await GetAsync(driverId, ct);
        var v = new Validation();
        v.OneOf(request.Language, "language", MessageTemplates.Languages, required: false);
        string? phone = current.Phone;
        if (request.Phone is not null)
        {
            try { phone = request.Phone.Trim().Length == 0 ? null : ContactAddresses.Phone(request.Phone, "phone"); }
            catch (ValidationException e) { foreach (var (field, messages) in e.Errors) foreach (var m in messages) v.Add(field, m); }
        }
        var channels = new Dictionary<string, string[]>(current.Channels);
        foreach (var (kind, chosen) in request.Channels ?? [])
        {
            var field = $"channels.{kind}";
            if (!NotificationKinds.ForDrivers.Contains(kind)) { v.Add("channels", $"'{kind}' is not a kind of message; kinds are: {string.Join(", ", NotificationKinds.ForDrivers)}."); continue; }
            var list = (chosen ?? []).Select(c => c?.Trim().ToLowerInvariant() ?? "").Distinct().ToArray();
            if (list.FirstOrDefault(c => !ChannelNames.ForDrivers.Contains(c)) is { } bad) { v.Add(field, $"'{bad}' is not a channel; channels are: {string.Join(", ", ChannelNames.ForDrivers)}."); continue; }
            channels[kind] = list;
        }
        if (phone is null && channels.Any(c => c.Value.Contains(ChannelNames.Sms)))
            v.Add("phone", "is required to get messages by SMS.");
        var (quietStart, quietEnd, zone) = (current.QuietStart, current.QuietEnd, current.TimeZone);
        if (request.QuietHours is { } quiet)
        {
            if (quiet.Start is null && quiet.End is null) (quietStart, quietEnd, zone) = (null, null, null);
            else
            {
                quietStart = LocalTime(quiet.Start, "quietHours.start", v);
                quietEnd = LocalTime(quiet.End, "quietHours.end", v);
                zone = quiet.TimeZone?.Trim();
                if (string.IsNullOrEmpty(zone)) v.Add("quietHours.timeZone", "is required: an IANA time zone such as Europe/Copenhagen.");
                else if (!IsIanaZone(zone)) v.Add("quietHours.timeZone", "must be an IANA time zone such as Europe/Copenhagen.");
                else if (quietStart == quietEnd && quietStart is not null) v.Add("quietHours.end", "must differ from the start.");
            }
        }
        v.ThrowIfInvalid();

        var saved = current with
        {
            Language = request.Language ?? current.Language, Channels = channels, QuietStart = quietStart, QuietEnd = quietEnd, TimeZone = zone, Phone = phone,
            Marketing = request.Marketing ?? current.Marketing,
        };
        await using (var connection = await db.OpenConnectionAsync(ct))
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into notification_preferences (driver_id, language, channels, quiet_start, quiet_end, time_zone, phone_encrypted, updated_at)
                values (@driverId, @Language, @channels::jsonb, @quietStart::time, @quietEnd::time, @TimeZone, @phoneEncrypted, @now)
                on conflict (driver_id) do update set language = excluded.language, channels = excluded.channels, quiet_start = excluded.quiet_start,
                    quiet_end = excluded.quiet_end, time_zone = excluded.time_zone, phone = null, phone_encrypted = excluded.phone_encrypted, updated_at = excluded.updated_at
                """, new { driverId, saved.Language, channels = JsonSerializer.Serialize(channels), quietStart = saved.QuietStart?.ToString("HH:mm", CultureInfo.InvariantCulture), quietEnd = saved.QuietEnd?.ToString("HH:mm", CultureInfo.InvariantCulture), saved.TimeZone, phoneEncrypted = protector.SealOrNull(saved.Phone, PhoneField), now = time.GetUtcNow() },
                cancellationToken: ct));
        if (request.Marketing is { } marketing) await consents.RecordAsync(driverId, ConsentPurposes.MarketingNotifications, marketing, source, ct);
        return saved;
    }

    private static TimeOnly? LocalTime(string? text, string field, Validation v)
    {
        if (TimeOnly.TryParseExact(text?.Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)) return t;
        v.Add(field, "must be a local time like 22:00.");
        return null;
    }

    /// <summary>IANA ids only (Region/City or UTC): Windows names would not mean the same on every server.</summary>
    private static bool IsIanaZone(string zone) =>
        (zone.Contains('/') || zone == "UTC") && TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var found) && (found.HasIanaId || zone == "UTC");
}
