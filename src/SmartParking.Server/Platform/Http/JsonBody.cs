using System.Text.Json;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Platform.Http;

/// <summary>For endpoints that read free-form JSON (FIWARE entities, reading batches): a parse error is a 400 on "body".</summary>
public static class JsonBody
{
    public static Task<JsonDocument> ReadAsync(HttpRequest request, CancellationToken ct, int maxDepth = 32) => ReadAsync(request.Body, ct, maxDepth);

    /// <summary>The same from a stream (an uploaded file on a dashboard page).</summary>
    public static async Task<JsonDocument> ReadAsync(Stream body, CancellationToken ct, int maxDepth = 32)
    {
        try { return await JsonDocument.ParseAsync(body, new JsonDocumentOptions { MaxDepth = maxDepth }, ct); }
        catch (JsonException e) { throw new ValidationException("body", "is not valid JSON: " + e.Message); }
    }
}
