using System.Globalization;
using System.Text.Json;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Sensors.Ingest;

public readonly record struct ParsedReading(SpaceStatus Status, DateTimeOffset? ObservedAt);
public readonly record struct ParsedHeartbeat(short? BatteryPercent, short? SignalDbm, string? Firmware);

/// <summary>
/// Device payloads: our JSON (<c>{"status":"occupied","observedAt":"…"}</c>, or <c>{"occupied":true}</c>) and FIWARE
/// NGSI-LD/NGSI-v2 ParkingSpot fragments, normalized or key-values (<c>{"status":{"value":"free","observedAt":"…"}}</c>).
/// </summary>
public static class ReadingPayloads
{
    public static bool TryParseReading(ReadOnlyMemory<byte> payload, out ParsedReading reading, out string? error)
    {
        reading = default;
        try
        {
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 8 });
            if (StoredText.Problem(document.RootElement) is { } badText) { error = badText; return false; }
            return TryParseReading(document.RootElement, out reading, out error);
        }
        catch (JsonException e)
        {
            error = "payload is not JSON: " + e.Message;
            return false;
        }
    }

    /// <summary>An element of a batch; the caller has checked its text (<see cref="StoredText.Problem(JsonElement, string)"/>) before reading its ids.</summary>
    public static bool TryParseReading(JsonElement root, out ParsedReading reading, out string? error)
    {
        reading = default;
        error = null;
        if (root.ValueKind != JsonValueKind.Object) { error = "payload must be a JSON object."; return false; }

        SpaceStatus status;
        DateTimeOffset? observedAt = null;
        if (root.TryGetProperty("status", out var s))
        {
            // NGSI normalized: {"type":"Property","value":"free","observedAt":"…"} or v2 {"value":"free","metadata":{"timestamp":{"value":"…"}}}
            if (s.ValueKind == JsonValueKind.Object)
            {
                if (!s.TryGetProperty("value", out var value) || !SpaceStatuses.TryParse(Text(value), out status))
                { error = "status.value must be free, occupied, closed or unknown."; return false; }
                if (s.TryGetProperty("observedAt", out var at) && !TryTime(at, out observedAt)) { error = "status.observedAt is not a valid date-time."; return false; }
                if (s.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("timestamp", out var ts))
                {
                    var tsValue = ts.ValueKind == JsonValueKind.Object && ts.TryGetProperty("value", out var inner) ? inner : ts;
                    if (!TryTime(tsValue, out observedAt)) { error = "status.metadata.timestamp is not a valid date-time."; return false; }
                }
            }
            else if (!SpaceStatuses.TryParse(Text(s), out status)) { error = "status must be free, occupied, closed or unknown."; return false; }
        }
        else if (root.TryGetProperty("occupied", out var occupied) && occupied.ValueKind is JsonValueKind.True or JsonValueKind.False)
            status = occupied.ValueKind == JsonValueKind.True ? SpaceStatus.Occupied : SpaceStatus.Free;
        else { error = "payload needs 'status' (free, occupied, closed, unknown) or 'occupied' (true/false)."; return false; }

        foreach (var name in new[] { "observedAt", "timestamp", "ts" })
            if (observedAt is null && root.TryGetProperty(name, out var t))
            {
                if (!TryTime(t, out observedAt)) { error = $"{name} is not a valid date-time."; return false; }
            }
        reading = new ParsedReading(status, observedAt);
        return true;
    }

    public static bool TryParseHeartbeat(ReadOnlyMemory<byte> payload, out ParsedHeartbeat heartbeat, out string? error)
    {
        heartbeat = default;
        error = null;
        try
        {
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { error = "heartbeat must be a JSON object."; return false; }
            if (StoredText.Problem(root) is { } badText) { error = badText; return false; }
            var battery = Number(root, "battery") ?? Number(root, "batteryPercent");
            var signal = Number(root, "rssi") ?? Number(root, "signalDbm") ?? Number(root, "signal");
            if (battery is < 0 or > 100) { error = "battery must be 0–100."; return false; }
            if (signal is < -200 or > 50) { error = "signal must be a dBm value (-200 to 50)."; return false; }
            var firmware = root.TryGetProperty("firmware", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            if (StoredText.LabelProblem(firmware, 64) is { } badFirmware) { error = "firmware " + badFirmware; return false; }
            heartbeat = new ParsedHeartbeat((short?)battery, (short?)signal, firmware);
            return true;
        }
        catch (JsonException e)
        {
            error = "payload is not JSON: " + e.Message;
            return false;
        }
    }

    private static string? Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => e.GetRawText(),
        _ => null,
    };

    // A number beyond double's range (1e309) reads as no number rather than throwing.
    private static double? Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) ? d : null;

    private static readonly long MinUnixSeconds = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    internal static bool TryTime(JsonElement value, out DateTimeOffset? time)
    {
        time = null;
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("@value", out var inner)) value = inner;
        if (value.ValueKind == JsonValueKind.Number)
        {
            // Seconds or milliseconds since the epoch; devices send both. Beyond what a date can hold is not a time.
            if (!value.TryGetInt64(out var unix) || unix < MinUnixSeconds || unix > MaxUnixMilliseconds) return false;
            time = unix > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(unix) : DateTimeOffset.FromUnixTimeSeconds(unix);
            return true;
        }
        if (value.ValueKind != JsonValueKind.String) return false;
        // NGSI-v2 examples omit the zone ("2018-09-21T12:00:00"): FIWARE means UTC.
        if (!DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            return false;
        time = parsed;
        return true;
    }
}
