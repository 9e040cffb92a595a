using System.Globalization;

namespace SmartParking.Server.Modules.Chat.Channels;

/// <summary>A webhook's raw body, whole (signatures cover the exact bytes), refused with 413 past the limit before it is all read.</summary>
public static class WebhookBody
{
    /// <summary>Far more than any Telegram update or WhatsApp notification.</summary>
    public const int MaxBytes = 256 * 1024;

    public static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBytes) throw TooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBytes) throw TooLarge();
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static BadHttpRequestException TooLarge() =>
        new(string.Create(CultureInfo.InvariantCulture, $"A webhook body may be at most {MaxBytes:N0} bytes."), StatusCodes.Status413PayloadTooLarge);
}
