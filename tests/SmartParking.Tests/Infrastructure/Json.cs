using System.Net;
using System.Text.Json;

namespace SmartParking.Tests.Infrastructure;

public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>Asserts the status, showing the body when it is wrong, and returns the parsed body (or an empty object).</summary>
    public static async Task<JsonElement> ShouldHaveStatusAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered: {body}");
        return body.Length == 0 ? JsonDocument.Parse("{}").RootElement : JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        return body.Length == 0 ? JsonDocument.Parse("{}").RootElement : JsonDocument.Parse(body).RootElement.Clone();
    }

    public static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;

    public static Guid Id(this JsonElement element) => element.GetProperty("id").GetGuid();

    public static IReadOnlyList<JsonElement> Items(this JsonElement page) => page.GetProperty("items").EnumerateArray().ToList();
}

/// <summary>RFC 9457 Problem Details checks.</summary>
public static class ProblemAssert
{
    public static async Task<JsonElement> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string? errorKey = null, string? type = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        var request = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}";
        response.StatusCode.ShouldBe(status, $"{request} answered: {body}");
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", $"{request} answered: {body}");
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        problem.GetProperty("status").GetInt32().ShouldBe((int)status);
        if (errorKey is not null)
        {
            problem.TryGetProperty("errors", out var errors).ShouldBeTrue($"no 'errors' in {body}");
            errors.EnumerateObject().Select(p => p.Name).ShouldContain(errorKey, $"errors were: {errors}");
        }
        if (type is not null)
            (problem.TryGetProperty("type", out var t) ? t.GetString() : null).ShouldBe(type, body);
        return problem;
    }
}
