using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Delivery;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

/// <summary>
/// A server whose e-mail goes to a real local SMTP server and whose SMS go to a local Twilio, on a clock the tests move
/// (retries and waiting messages fall due when the test says so).
/// </summary>
public class NotificationsFactory : ManageFactory
{
    public const string StatusCallbackUrl = "https://parking.example.org/webhooks/twilio/status";
    public const string SenderNumber = "+4570000000";

    public LocalSmtpServer Smtp { get; } = new();
    public FakeTwilio Twilio { get; } = new();
    public StoppedClock Clock { get; } = new(DateTimeOffset.UtcNow);

    public override TimeProvider Time => Clock;

    public INotificationQueue Queue => Services.GetRequiredService<INotificationQueue>();
    public NotificationSender Sender => Services.GetRequiredService<NotificationSender>();

    public override async Task InitializeAsync()
    {
        Smtp.Start();
        await Twilio.StartAsync();
        await base.InitializeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Notifications:Smtp:Host"] = "127.0.0.1";
        settings["Notifications:Smtp:Port"] = Smtp.Port.ToString();
        settings["Notifications:Smtp:Security"] = "none";
        settings["Notifications:Smtp:From"] = "SmartParking <no-reply@parking.example.org>";
        settings["Notifications:Twilio:AccountSid"] = FakeTwilio.AccountSid;
        settings["Notifications:Twilio:AuthToken"] = FakeTwilio.AuthToken;
        settings["Notifications:Twilio:From"] = SenderNumber;
        settings["Notifications:Twilio:BaseUrl"] = Twilio.BaseUrl.ToString();
        settings["Notifications:Twilio:StatusCallbackUrl"] = StatusCallbackUrl;
        settings["Notifications:PublicBaseUrl"] = "https://parking.example.org";
        settings["Notifications:RetryBaseSeconds"] = "30";
        // Only a wake-up starts the background sender here, so a test that waits for it proves the wake-up works.
        settings["Notifications:FallbackSeconds"] = "3600";
        // The tests move the clock hours ahead; tokens issued before must outlive that.
        settings["Auth:AccessTokenMinutes"] = "1440";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    protected override async Task OnHostStoppedAsync()
    {
        await base.OnHostStoppedAsync();
        await Smtp.DisposeAsync();
        await Twilio.DisposeAsync();
    }

    /// <summary>One message to a fixed address, for a new event.</summary>
    public Task QueueToAsync(ChannelKind channel, string address, string kind = "operator_alert", bool urgent = false, Guid? eventId = null, string language = "en") =>
        Queue.QueueAsync([new NotificationRequest(eventId ?? Guid.NewGuid(), TenantId, kind, new AddressRecipient(channel, address, language), AlertFields, urgent,
            Link: "https://parking.example.org/admin/sensors")], CancellationToken.None);

    public static readonly IReadOnlyDictionary<string, string> AlertFields = new Dictionary<string, string>
    {
        ["title"] = "Sensor offline", ["detail"] = "Sensor S-17 has not reported for 2 hours.", ["lot"] = "Harbour lot",
    };

    public sealed record Row(Guid Id, string Status, string? Reason, int Attempts, DateTimeOffset NextAttemptAt, string? ProviderMessageId);

    /// <summary>The delivery log's rows for an address, oldest first.</summary>
    public async Task<IReadOnlyList<Row>> RowsForAsync(string address)
    {
        await using var command = Sql.CreateCommand("""
            select id, status, reason, attempts, next_attempt_at, provider_message_id from notification_messages where address_index = $1 order by queued_at, id
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = NotificationAddressIndex(address) });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Row>();
        while (await reader.ReadAsync())
            rows.Add(new Row(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3),
                new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero), reader.IsDBNull(5) ? null : reader.GetString(5)));
        return rows;
    }

    public async Task<Row> OnlyRowForAsync(string address) => (await RowsForAsync(address)).ShouldHaveSingleItem();

    public Task SendDueAsync() => Sender.SendDueAsync(CancellationToken.None);

    /// <summary>A phone number no other test uses, so the fake's answers and calls for it are this test's own.</summary>
    public static string NewPhone() => "+45" + Random.Shared.Next(20_000_000, 99_999_999);
}
