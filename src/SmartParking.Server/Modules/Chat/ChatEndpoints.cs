using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Chat;

public static class ChatEndpoints
{
    public static void MapChatEndpoints(this IEndpointRouteBuilder app)
    {
        // Rasa's own paths, so Rasa clients and tools work unchanged. Parsing reads no one's data: public, under the global rate limit.
        app.MapPost("/model/parse", Parse).WithTags("Chat").AllowAnonymous();
    }

    private static async Task<RasaParseResult> Parse(RasaParseRequest request, NluEngine nlu, IOptions<ChatOptions> options)
    {
        if (request.Text is null) throw new ValidationException("text", "is required.");
        if (request.Text.Length > options.Value.MaxMessageChars)
            throw new ValidationException("text", $"must be at most {options.Value.MaxMessageChars} characters.");
        return RasaParseResult.From(await nlu.ParseAsync(request.Text), request.MessageId);
    }
}
