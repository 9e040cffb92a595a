using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>A server whose Telegram bot and WhatsApp number talk to local fakes of the providers' APIs, retrying quickly.</summary>
public sealed class ChatChannelsFactory : ApiFactory
{
    public const string TelegramSecret = "telegram-webhook-secret_42";
    public const string TelegramPublicUrl = "https://parking.example.org/webhooks/telegram";
    public const string WhatsAppAppSecret = "whatsapp-app-secret-for-tests";
    public const string WhatsAppVerifyToken = "whatsapp-verify-token";
    public const string WhatsAppVersion = "v23.0";
    public const string PhoneNumberId = "106540352242922";

    public FakeTelegram Telegram { get; } = new();
    public FakeWhatsApp WhatsApp { get; } = new();
    public CapturedLogs Logs { get; } = new();

    public override async Task InitializeAsync()
    {
        await Telegram.StartAsync();
        await WhatsApp.StartAsync();
        await base.InitializeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Chat:Telegram:BotToken"] = FakeTelegram.Token;
        settings["Chat:Telegram:WebhookSecret"] = TelegramSecret;
        settings["Chat:Telegram:ApiBaseUrl"] = Telegram.BaseUrl.ToString();
        settings["Chat:Telegram:PublicUrl"] = TelegramPublicUrl;
        settings["Chat:Telegram:RetryBaseMilliseconds"] = "1";
        settings["Chat:WhatsApp:AccessToken"] = FakeWhatsApp.AccessToken;
        settings["Chat:WhatsApp:AppSecret"] = WhatsAppAppSecret;
        settings["Chat:WhatsApp:VerifyToken"] = WhatsAppVerifyToken;
        settings["Chat:WhatsApp:GraphBaseUrl"] = WhatsApp.BaseUrl.ToString();
        settings["Chat:WhatsApp:ApiVersion"] = WhatsAppVersion;
        settings["Chat:WhatsApp:RetryBaseMilliseconds"] = "1";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }

    protected override async Task OnHostStoppedAsync()
    {
        await base.OnHostStoppedAsync();
        await Telegram.DisposeAsync();
        await WhatsApp.DisposeAsync();
    }

    public async Task<HttpResponseMessage> PostTelegramAsync(string update, string? secret = TelegramSecret)
    {
        using var client = CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/telegram") { Content = new StringContent(update, Encoding.UTF8, "application/json") };
        if (secret is not null) request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", secret);
        return await client.SendAsync(request);
    }

    /// <summary>Posts a WhatsApp notification signed as Meta signs it, or with the given signature header.</summary>
    public async Task<HttpResponseMessage> PostWhatsAppAsync(string notification, string? signature = null, bool signed = true)
    {
        using var client = CreateClient();
        var body = Encoding.UTF8.GetBytes(notification);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/whatsapp") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (signed) request.Headers.Add("X-Hub-Signature-256", signature ?? Sign(body));
        return await client.SendAsync(request);
    }

    public static string Sign(byte[] body, string secret = WhatsAppAppSecret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Waits, up to a deadline, until <paramref name="read"/> has at least <paramref name="count"/> items.</summary>
    /// <summary>The hand-over <paramref name="ask"/> puts in the platform staff's queue (chats about no lot go there).</summary>
    public async Task<(HttpClient Admin, Guid Handoff)> HandoffAsync(Func<Task> ask)
    {
        var admin = ClientFor(await CreateAdminAsync());
        var before = await QueuedAsync(admin);
        await ask();
        var added = (await QueuedAsync(admin)).Except(before).ToList();
        return (admin, added.ShouldHaveSingleItem());
    }

    private static async Task<IReadOnlyList<Guid>> QueuedAsync(HttpClient staff) =>
        (await (await staff.GetAsync("/api/v1/chat/handoffs")).ShouldHaveStatusAsync(System.Net.HttpStatusCode.OK)).EnumerateArray().Select(h => h.Id()).ToList();

    /// <summary>A WhatsApp Cloud API webhook notification carrying <paramref name="messages"/> to the factory's business number.</summary>
    public static string WhatsAppNotification(params JsonObject[] messages) => new JsonObject
    {
        ["object"] = "whatsapp_business_account",
        ["entry"] = new JsonArray(new JsonObject
        {
            ["id"] = "102290129340398",
            ["changes"] = new JsonArray(new JsonObject
            {
                ["field"] = "messages",
                ["value"] = new JsonObject
                {
                    ["messaging_product"] = "whatsapp",
                    ["metadata"] = new JsonObject { ["display_phone_number"] = "4570000000", ["phone_number_id"] = ChatChannelsFactory.PhoneNumberId },
                    ["messages"] = new JsonArray(messages.Select(JsonNode? (m) => m).ToArray()),
                },
            }),
        }),
    }.ToJsonString();

    public static JsonObject WhatsAppMessage(string from, string type, JsonObject content, string? id = null) => new()
    {
        ["from"] = from, ["id"] = id ?? "wamid.HBgL" + Guid.NewGuid().ToString("N"), ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), ["type"] = type, [type] = content,
    };

    public static JsonObject WhatsAppText(string from, string body, string? id = null) => WhatsAppMessage(from, "text", new JsonObject { ["body"] = body }, id);

    public static async Task<IReadOnlyList<T>> AtLeastAsync<T>(Func<IReadOnlyList<T>> read, int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (read().Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Expected at least {count} calls, saw {read().Count}.");
            await Task.Delay(10);
        }
        return read();
    }
}
