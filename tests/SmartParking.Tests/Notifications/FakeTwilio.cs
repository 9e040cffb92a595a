using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

/// <summary>
/// Twilio's Messages API as documented: POST /2010-04-01/Accounts/{AccountSid}/Messages.json with form fields To, From
/// (or MessagingServiceSid), Body and StatusCallback, Basic auth with AccountSid:AuthToken; 201 with the message
/// resource ({sid, status: "queued", …}); errors as {code, message, more_info, status}: 400/21211 for an invalid
/// 'To', 429/20429 when rate limited, 500/20500. Answers per number can be scripted.
/// </summary>
public sealed class FakeTwilio : FakeServiceServer
{
    public const string AccountSid = "AC00000000000000000000000000000001";
    public const string AuthToken = "twilio-test-auth-token";

    public sealed record Call(string To, string? From, string Body, string? StatusCallback, string? Sid);

    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _scripts = new();

    public ConcurrentQueue<Call> Calls { get; } = new();

    public IReadOnlyList<Call> CallsTo(string number) => Calls.Where(c => c.To == number).ToList();

    /// <summary>The next requests for this number are answered with these statuses, in order; then 201.</summary>
    public void Answer(string number, params int[] statuses)
    {
        var queue = _scripts.GetOrAdd(number, _ => new ConcurrentQueue<int>());
        foreach (var status in statuses) queue.Enqueue(status);
    }

    protected override void Map(WebApplication app) =>
        app.MapPost("/2010-04-01/Accounts/{accountSid}/Messages.json", async (string accountSid, HttpRequest request) =>
        {
            var expected = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));
            if (accountSid != AccountSid || !AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var auth) || auth.Scheme != "Basic" || auth.Parameter != expected)
                return Error(401, 20003, "Authenticate");
            var form = await request.ReadFormAsync();
            var to = form["To"].ToString();
            var status = _scripts.TryGetValue(to, out var script) && script.TryDequeue(out var scripted) ? scripted : 201;
            var sid = status == 201 ? "SM" + Guid.NewGuid().ToString("N") : null;
            Calls.Enqueue(new Call(to, form["From"].FirstOrDefault(), form["Body"].ToString(), form["StatusCallback"].FirstOrDefault(), sid));
            return status switch
            {
                201 => Results.Json(new
                {
                    sid, account_sid = AccountSid, to, from = form["From"].ToString(), body = form["Body"].ToString(), status = "queued", num_segments = "1",
                    direction = "outbound-api", api_version = "2010-04-01", date_created = DateTimeOffset.UtcNow.ToString("R"),
                    uri = $"/2010-04-01/Accounts/{AccountSid}/Messages/{sid}.json",
                }, statusCode: 201),
                400 => Error(400, 21211, $"The 'To' number {to} is not a valid phone number."),
                429 => Error(429, 20429, "Too Many Requests"),
                _ => Error(status, 20500, "Internal Server Error"),
            };
        });

    private static IResult Error(int status, int code, string message) =>
        Results.Json(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status }, statusCode: status);
}
