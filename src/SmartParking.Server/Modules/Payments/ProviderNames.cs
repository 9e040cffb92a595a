namespace SmartParking.Server.Modules.Payments;

public static class ProviderNames
{
    public const string Stripe = "stripe";
    public const string PayPal = "paypal";
    public const string Sandbox = "sandbox";

    public static readonly string[] All = [Stripe, PayPal, Sandbox];
}

/// <summary>The sandbox provider's test cards, as wallet tokens: one succeeds, one is declined, one waits to be settled.</summary>
public static class SandboxCards
{
    public const string Ok = "sandbox_ok";
    public const string Decline = "sandbox_decline";
    public const string Pending = "sandbox_pending";
    public static readonly string[] Tokens = [Ok, Decline, Pending];
}
