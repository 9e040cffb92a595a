using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Platform.Components;

/// <summary>
/// Pages call the same services as the API; what a service refuses (a taken space, a declined card, a bad field) is
/// said on the page in words instead of thrown at the circuit, which would end it.
/// </summary>
public static class ServiceOutcome
{
    /// <summary>Null when the action worked, else what to tell the person.</summary>
    public static async Task<string?> RunAsync(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception e) when (Describe(e) is { } message)
        {
            return message;
        }
    }

    public static string? Describe(Exception e) => e switch
    {
        ValidationException v => string.Join(" ", v.Errors.SelectMany(f => f.Value.Select(m => $"{f.Key} {m}"))),
        ConflictException or PaymentFailedException or NotFoundException or ForbiddenException => e.Message,
        ServiceUnavailableException or TooManyRequestsException => e.Message + " Try again in a moment.",
        _ => null,
    };
}
