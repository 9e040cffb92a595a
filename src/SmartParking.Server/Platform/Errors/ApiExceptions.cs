namespace SmartParking.Server.Platform.Errors;

/// <summary>Thrown for bad input; becomes a 400 naming each field at fault.</summary>
public sealed class ValidationException(IDictionary<string, string[]> errors)
    : Exception("One or more fields are invalid: " + string.Join(", ", errors.Keys))
{
    public IDictionary<string, string[]> Errors { get; } = errors;

    public ValidationException(string field, string message) : this(new Dictionary<string, string[]> { [field] = [message] }) { }
}

public sealed class NotFoundException(string what) : Exception($"{what} was not found.");

/// <summary>The request conflicts with the state of the resource (409); with <see cref="RetryAfter"/> when the same request may succeed later.</summary>
/// <param name="code">
/// A stable name for the refusal (the problem's <c>code</c>), so a client, or the chat assistant, can word it in its own
/// language rather than quote this message.
/// </param>
public sealed class ConflictException(string message, IDictionary<string, object?>? extensions = null, TimeSpan? retryAfter = null, string? code = null) : Exception(message)
{
    public IDictionary<string, object?> Extensions { get; } = WithCode(extensions ?? new Dictionary<string, object?>(), code);

    public string? Code => Extensions.TryGetValue("code", out var code) ? code as string : null;

    private static IDictionary<string, object?> WithCode(IDictionary<string, object?> extensions, string? code)
    {
        if (code is not null) extensions["code"] = code;
        return extensions;
    }

    /// <summary>Sent as Retry-After: set here, not on the response, since the exception handler clears the response's headers.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>A payment was declined or could not be taken (402); the code is the provider's reason.</summary>
public sealed class PaymentFailedException(string message, string? code) : Exception(message)
{
    public string? Code { get; } = code;
}

/// <summary>Something we depend on cannot answer now (503 with Retry-After); the same request may be retried.</summary>
public sealed class ServiceUnavailableException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The caller is known but may not do this (e.g. two-factor not yet enrolled).</summary>
public sealed class ForbiddenException(string message) : Exception(message);

public sealed class UnauthorizedException(string message, string? type = null) : Exception(message)
{
    public string? Type { get; } = type;
}

public sealed class TooManyRequestsException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>Collects field errors so a request reports all of them at once.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public Validation Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
        return this;
    }

    public Validation Required(string? value, string field, int maxLength = 200)
    {
        if (string.IsNullOrWhiteSpace(value)) Add(field, "is required.");
        else if (value.Length > maxLength) Add(field, $"must be at most {maxLength} characters.");
        return this;
    }

    public Validation MaxLength(string? value, string field, int maxLength)
    {
        if (value is not null && value.Length > maxLength) Add(field, $"must be at most {maxLength} characters.");
        return this;
    }

    /// <summary>An instant the platform can work with (see <see cref="Time.Instants.InReach"/>); null passes.</summary>
    public Validation Instant(DateTimeOffset? value, string field) =>
        Check(value is not { } t || Time.Instants.InReach(t), field, $"must be between {Time.Instants.Earliest.Year} and {Time.Instants.Latest.Year}.");

    public Validation Check(bool condition, string field, string message)
    {
        if (!condition) Add(field, message);
        return this;
    }

    public Validation OneOf(string? value, string field, IReadOnlyCollection<string> allowed, bool required = true)
    {
        if (value is null) { if (required) Add(field, "is required."); }
        else if (!allowed.Contains(value)) Add(field, $"must be one of: {string.Join(", ", allowed)}.");
        return this;
    }

    public void ThrowIfInvalid()
    {
        if (!IsValid) throw new ValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }
}
