using System.Text.Json;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Platform.Http;

/// <summary>For endpoints that read free-form JSON (FIWARE entities, reading batches): a parse error is a 400 on "body".</summary>
public static class JsonBody
{
    public static Task<JsonDocument> ReadAsync(HttpRequest request, CancellationToken ct, int maxDepth = 32) => ReadAsync(request.Body, ct, maxDepth);

    /// <summary>The same from a stream (an uploaded file on a dashboard page).</summary>
    public static async Task<JsonDocument> ReadAsync(Stream body, CancellationToken ct, int maxDepth = 32)
    {
        JsonDocument document;
        try { document = await JsonDocument.ParseAsync(body, new JsonDocumentOptions { MaxDepth = maxDepth }, ct); }
        catch (JsonException e) { throw new ValidationException("body", "is not valid JSON: " + e.Message); }
        // Looking up a property of an object throws if any of its names is an unpaired surrogate, so the envelope's
        // names are checked here; the items inside are checked one by one by the endpoint (one bad item is its own).
        if (document.RootElement.ValueKind == JsonValueKind.Object && StoredText.NamesProblem(document.RootElement) is { } problem)
        {
            document.Dispose();
            throw new ValidationException("body", problem);
        }
        return document;
    }
}
