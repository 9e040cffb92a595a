using System.ComponentModel;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Payments.Providers;
using SmartParking.Server.Modules.Payments.Providers.Sandbox;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.OpenApi;
using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;

namespace SmartParking.Server.Modules.Payments.Wallet;

public sealed record PaymentMethodRequest(
    [property: Required, Vocabulary(typeof(ProviderNames), nameof(ProviderNames.All))] string? Provider,
    [property: Required, Description("The provider's token for the card or account (never a card number).")] string? Token,
    string? Customer,
    string? Label);

/// <summary>The token is not shown back in full: a hint is enough to tell methods apart.</summary>
public sealed record PaymentMethodView(Guid Id, string Provider, string TokenHint, string? Customer, string? Label, DateTimeOffset CreatedAt)
{
    public static PaymentMethodView From(WalletMethod m) =>
        new(m.Id, m.Provider, m.Token.Length <= 8 ? m.Token : m.Token[..3] + "…" + m.Token[^4..], m.Customer, m.Label, m.CreatedAt);
}

/// <summary>Drivers' saved payment methods: provider tokens only (Stripe PaymentMethod, PayPal vault id, sandbox token).</summary>
public static partial class WalletEndpoints
{
    public static void MapWalletEndpoints(this IEndpointRouteBuilder app)
    {
        var wallet = app.MapGroup("/api/v1/me/payment-methods").WithTags("Payments").RequireAuthorization(Policies.Driver);
        wallet.MapGet("/", List);
        wallet.MapPost("/", Add);
        wallet.MapDelete("/{id:guid}", Delete);
    }

    private static async Task<IReadOnlyList<PaymentMethodView>> List(ClaimsPrincipal user, WalletStore store, CancellationToken ct) =>
        (await store.ForDriverAsync(user.UserId(), ct)).Select(PaymentMethodView.From).ToList();

    private static async Task<Results<Created<PaymentMethodView>, Ok<PaymentMethodView>>> Add(
        PaymentMethodRequest request, ClaimsPrincipal user, WalletStore store, PaymentRouter router, CancellationToken ct)
    {
        Validate(request, router);
        var (method, created) = await store.AddAsync(new WalletMethod
        {
            Id = Guid.CreateVersion7(),
            DriverId = user.UserId(),
            Provider = request.Provider!,
            Token = request.Token!.Trim(),
            Customer = string.IsNullOrWhiteSpace(request.Customer) ? null : request.Customer.Trim(),
            Label = string.IsNullOrWhiteSpace(request.Label) ? null : request.Label.Trim(),
        }, ct);
        var view = PaymentMethodView.From(method);
        return created ? TypedResults.Created($"/api/v1/me/payment-methods/{method.Id}", view) : TypedResults.Ok(view);
    }

    private static async Task<NoContent> Delete(Guid id, ClaimsPrincipal user, WalletStore store, CancellationToken ct) =>
        await store.DeleteAsync(user.UserId(), id, ct) ? TypedResults.NoContent() : throw new NotFoundException("Payment method");

    internal static void Validate(PaymentMethodRequest request, PaymentRouter router)
    {
        var v = new Validation();
        // Card data must never reach us, not even in a log line or an error message: refuse anything shaped like a PAN first.
        foreach (var (field, value) in new[] { ("token", request.Token), ("customer", request.Customer), ("label", request.Label) })
            if (LooksLikeCardNumber(value)) v.Add(field, "looks like a card number; send the provider's token instead, never card data.");
        if (!v.IsValid) v.ThrowIfInvalid();

        v.OneOf(request.Provider, "provider", ProviderNames.All)
            .Required(request.Token, "token", 255)
            .MaxLength(request.Label, "label", 100)
            .MaxLength(request.Customer, "customer", 255);
        if (request.Provider is { } provider && ProviderNames.All.Contains(provider) && !router.IsEnabled(provider))
            v.Add("provider", $"{provider} is not enabled on this server.");
        var token = request.Token?.Trim();
        if (!string.IsNullOrEmpty(token))
        {
            switch (request.Provider)
            {
                case ProviderNames.Stripe:
                    v.Check(StripePaymentMethod().IsMatch(token), "token", "must be a Stripe PaymentMethod id (pm_…).");
                    v.Check(string.IsNullOrWhiteSpace(request.Customer) || StripeCustomer().IsMatch(request.Customer.Trim()), "customer", "must be a Stripe customer id (cus_…).");
                    break;
                case ProviderNames.PayPal:
                    v.Check(PayPalVaultId().IsMatch(token), "token", "must be a PayPal vault id (letters, digits, '-' and '_').");
                    v.Check(string.IsNullOrWhiteSpace(request.Customer), "customer", "is only used with Stripe.");
                    break;
                case ProviderNames.Sandbox:
                    v.OneOf(token, "token", SandboxCards.Tokens);
                    break;
            }
        }
        v.ThrowIfInvalid();
    }

    /// <summary>12–19 digits, allowing the spaces and dashes people type between groups.</summary>
    internal static bool LooksLikeCardNumber(string? value) => value is not null && CardNumber().IsMatch(value);

    [GeneratedRegex(@"(?<!\d)(?:\d[ -]?){11,18}\d(?!\d)")] private static partial Regex CardNumber();
    [GeneratedRegex("^pm_[A-Za-z0-9_]{3,250}$")] private static partial Regex StripePaymentMethod();
    [GeneratedRegex("^cus_[A-Za-z0-9]{3,250}$")] private static partial Regex StripeCustomer();
    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")] private static partial Regex PayPalVaultId();
}
