using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;

namespace SmartParking.Server.Platform.Errors;

/// <summary>
/// Names the parameters a bare 400 came from. The compile-time request delegates answer an optional (nullable) route,
/// query or header value that does not parse with a status code alone, where a required one throws
/// <see cref="BadHttpRequestException"/> to <see cref="ProblemExceptionHandler"/>; this finds the value at fault again
/// from the endpoint's binding metadata, so both kinds of failure tell the client which field to fix.
/// </summary>
public static class BindingFailures
{
    public static Dictionary<string, string[]> Find(HttpContext http)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var endpoint = http.GetEndpoint();
        if (endpoint is null) return errors;
        foreach (var binding in endpoint.Metadata.GetOrderedMetadata<IParameterBindingMetadata>())
        {
            if (!binding.HasTryParse) continue;
            var (name, raw) = RawValue(http, binding);
            var type = binding.ParameterInfo.ParameterType;
            var element = type.IsArray ? type.GetElementType()! : type;
            element = Nullable.GetUnderlyingType(element) ?? element;
            foreach (var value in raw)
                if (!string.IsNullOrEmpty(value) && !Parses(element, value))
                {
                    errors[name] = [$"Failed to bind parameter \"{element.Name} {name}\" from \"{value}\"."];
                    break;
                }
        }
        return errors;
    }

    private static (string Name, Microsoft.Extensions.Primitives.StringValues Raw) RawValue(HttpContext http, IParameterBindingMetadata binding)
    {
        var attributes = binding.ParameterInfo.GetCustomAttributes(inherit: false);
        if (attributes.OfType<IFromHeaderMetadata>().FirstOrDefault() is { } header)
        {
            var name = header.Name ?? binding.Name;
            return (name, http.Request.Headers[name]);
        }
        var queryName = attributes.OfType<IFromQueryMetadata>().FirstOrDefault()?.Name;
        var routeName = attributes.OfType<IFromRouteMetadata>().FirstOrDefault()?.Name;
        if (queryName is null && http.Request.RouteValues.TryGetValue(routeName ?? binding.Name, out var route) && route is string routeValue)
            return (routeName ?? binding.Name, routeValue);
        var key = queryName ?? binding.Name;
        return (key, http.Request.Query[key]);
    }

    private static bool Parses(Type type, string value)
    {
        if (type == typeof(string)) return true;
        if (type.IsEnum) return Enum.TryParse(type, value, ignoreCase: false, out _);
        var args = new object?[] { value, CultureInfo.InvariantCulture, null };
        if (type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider), type.MakeByRefType()]) is { } withCulture)
            return (bool)withCulture.Invoke(null, args)!;
        if (type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), type.MakeByRefType()]) is { } plain)
            return (bool)plain.Invoke(null, [value, null])!;
        return true; // a type whose parser we cannot call is not named at fault
    }
}
