using SmartParking.Server.Platform.Components;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Admin.Components.Shared;

/// <summary>
/// What a dashboard form shows after the service said no: each field's messages beside its input (from the same
/// <see cref="ValidationException"/> the API turns into Problem Details), anything else as one message for the form.
/// </summary>
public sealed class FormErrors
{
    private IDictionary<string, string[]> _fields = new Dictionary<string, string[]>();

    public string? Summary { get; private set; }
    public bool Any => Summary is not null || _fields.Count > 0;

    public string? For(string field) => _fields.TryGetValue(field, out var messages) ? string.Join(" ", messages.Select(m => Sentence(field, m))) : null;

    /// <summary>Field errors whose key starts with a prefix (row errors of an import), in the order given.</summary>
    public IEnumerable<KeyValuePair<string, string[]>> Fields => _fields;

    public void Clear()
    {
        _fields = new Dictionary<string, string[]>();
        Summary = null;
    }

    private const string FieldsSummary = "Some fields need another look.";

    /// <summary>Errors the page found itself (a number that does not parse) before asking the service.</summary>
    public void Set(IDictionary<string, string[]> fields, string? summary = null) => (_fields, Summary) = (fields, summary);

    /// <summary>Keeps the fields the page could not parse, if any; true when there were some (so the service is not asked).</summary>
    public bool Found(IDictionary<string, string[]> fields)
    {
        if (fields.Count == 0) return false;
        Set(fields, FieldsSummary);
        return true;
    }

    /// <summary>Runs a service call; true when it worked, else the errors are kept for the page to show.</summary>
    public async Task<bool> RunAsync(Func<Task> action)
    {
        Clear();
        try
        {
            await action();
            return true;
        }
        catch (ValidationException v)
        {
            _fields = v.Errors;
            Summary = FieldsSummary;
            return false;
        }
        catch (Exception e) when (ServiceOutcome.Describe(e) is { } message)
        {
            Summary = message;
            return false;
        }
    }

    // The services' messages follow the field name ("is required."); a sentence reads better next to a label.
    private static string Sentence(string field, string message) =>
        message.StartsWith("is ", StringComparison.Ordinal) || message.StartsWith("must ", StringComparison.Ordinal) || message.StartsWith("has ", StringComparison.Ordinal)
            ? $"This {Words(field)} {message}"
            : message;

    private static string Words(string field)
    {
        var last = field[(field.LastIndexOf('.') + 1)..];
        return string.Concat(last.Select(c => char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : c.ToString()));
    }
}
