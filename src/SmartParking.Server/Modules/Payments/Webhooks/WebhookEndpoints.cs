using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Payments.Ledger;
using SmartParking.Server.Modules.Payments.Providers;
using SmartParking.Server.Modules.Payments.Providers.PayPal;
using SmartParking.Server.Modules.Payments.Providers.Stripe;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Payments.Webhooks;

public sealed record WebhookReceipt(bool Received, string Result);

public sealed record SettleRequest([property: Vocabulary(States.Succeeded, States.Failed), System.ComponentModel.Description("Left out, succeeded.")] string? State);

/// <summary>Provider webhooks (anonymous, but verified) and the sandbox's stand-in for them.</summary>
public static class WebhookEndpoints
{
    private const int MaxBodyBytes = 256 * 1024;

    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/api/v1/payments/webhooks").WithTags("Payments").AllowAnonymous().AsProviderWebhook();
        hooks.MapPost("/stripe", Stripe).DescribeBody<JsonElement>("A Stripe event, as Stripe sends it (checked against Stripe-Signature).", oneOrMany: false, "application/json");
        hooks.MapPost("/paypal", PayPal).DescribeBody<JsonElement>("A PayPal webhook event, as PayPal sends it (verified with PayPal).", oneOrMany: false, "application/json");
        app.MapPost("/api/v1/payments/sandbox/{paymentId:guid}/settle", Settle).WithTags("Payments").RequireAuthorization(Policies.Driver);
    }

    private static async Task<Results<Ok<WebhookReceipt>, ProblemHttpResult>> Stripe(HttpRequest request, IOptions<PaymentsOptions> options,
        TimeProvider time, WebhookApplier applier, ILogger<WebhookApplier> logger, CancellationToken ct)
    {
        var o = options.Value.Stripe;
        if (string.IsNullOrWhiteSpace(o.WebhookSecret)) return Rejected("Stripe webhooks are not configured.", 404);
        var body = await ReadBodyAsync(request, ct);
        try
        {
            StripeWebhooks.Verify(request.Headers["Stripe-Signature"], body, o.WebhookSecret, TimeSpan.FromSeconds(o.WebhookToleranceSeconds), time.GetUtcNow());
            using var json = Parse(body);
            return await ApplyAsync(StripeWebhooks.Map(json.RootElement), applier, ct);
        }
        catch (WebhookRejectedException e)
        {
            logger.LogWarning("Stripe webhook refused: {Reason}", e.Message);
            return Rejected(e.Message);
        }
    }

    private static async Task<Results<Ok<WebhookReceipt>, ProblemHttpResult>> PayPal(HttpRequest request, IOptions<PaymentsOptions> options,
        PayPalWebhooks paypal, WebhookApplier applier, ILogger<WebhookApplier> logger, CancellationToken ct)
    {
        if (!options.Value.PayPalEnabled) return Rejected("PayPal webhooks are not configured.", 404);
        var body = await ReadBodyAsync(request, ct);
        try
        {
            // Parse first: a body that is not even JSON is not worth a call to PayPal.
            using var json = Parse(body);
            await paypal.VerifyAsync(request.Headers, body, ct);
            return await ApplyAsync(PayPalWebhooks.Map(json.RootElement), applier, ct);
        }
        catch (WebhookRejectedException e)
        {
            logger.LogWarning("PayPal webhook refused: {Reason}", e.Message);
            return Rejected(e.Message);
        }
        catch (TransientProviderException e)
        {
            // PayPal redelivers on any non-2xx; a 503 says "not now" rather than "forged".
            logger.LogWarning("PayPal webhook not verified now: {Error}", e.Message);
            return Rejected("The signature could not be verified right now.", 503);
        }
    }

    /// <summary>
    /// Settles a sandbox_pending payment as the provider's webhook would: admins any payment, and in Development a driver
    /// their own (another driver's is "not found", as everywhere: its existence is not theirs to know).
    /// </summary>
    private static async Task<Results<Ok<PaymentOutcome>, ProblemHttpResult>> Settle(Guid paymentId, SettleRequest? request, ClaimsPrincipal user,
        IHostEnvironment environment, IAuthorizationService authorization, IOptions<PaymentsOptions> options, PaymentLedger ledger, WebhookApplier applier, CancellationToken ct)
    {
        var admin = (await authorization.AuthorizeAsync(user, Policies.Admin)).Succeeded;
        if (!environment.IsDevelopment() && !admin)
            throw new ForbiddenException("Only administrators may settle sandbox payments outside Development.");
        if (!options.Value.SandboxEnabled) throw new NotFoundException("Sandbox");
        var state = request?.State ?? States.Succeeded;
        new Validation().OneOf(state, "state", [States.Succeeded, States.Failed]).ThrowIfInvalid();
        var payment = await ledger.GetAsync(paymentId, ct);
        if (payment is null || payment.Provider != ProviderNames.Sandbox || (!admin && payment.DriverId != user.UserId())) throw new NotFoundException("Sandbox payment");
        var settled = States.Parse(state);
        // One event per outcome, as a provider sends payment_failed and later succeeded as two events: a repeat of the same
        // outcome is a duplicate, a different one is applied.
        await applier.ApplyAsync(new WebhookChange(ProviderNames.Sandbox, $"settle:{paymentId}:{state}", "sandbox.settle", paymentId, payment.ProviderReference, settled,
            settled == PaymentState.Failed ? "card_declined" : null, settled == PaymentState.Failed ? "The sandbox declined the payment." : null, []), ct);
        return TypedResults.Ok((await ledger.GetAsync(paymentId, ct))!.ToOutcome());
    }

    private static async Task<Results<Ok<WebhookReceipt>, ProblemHttpResult>> ApplyAsync(WebhookChange? change, WebhookApplier applier, CancellationToken ct)
    {
        // Types we do not follow are acknowledged, or the provider would keep redelivering them.
        if (change is null) return TypedResults.Ok(new WebhookReceipt(true, "ignored"));
        var result = await applier.ApplyAsync(change, ct);
        return TypedResults.Ok(new WebhookReceipt(true, result.ToString().ToLowerInvariant()));
    }

    private static JsonDocument Parse(string body)
    {
        try { return JsonDocument.Parse(body); }
        catch (JsonException) { throw new WebhookRejectedException("The body is not JSON."); }
    }

    // The signature covers the exact bytes, so the body is read raw, never through model binding.
    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes) throw new ValidationException("body", $"must be at most {MaxBodyBytes} bytes.");
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) throw new ValidationException("body", $"must be at most {MaxBodyBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static ProblemHttpResult Rejected(string detail, int status = 400) =>
        TypedResults.Problem(detail, statusCode: status, title: status == 400 ? "Webhook refused" : "Webhook not accepted");
}
