using System.Globalization;

namespace SmartParking.Server.Modules.Payments;

/// <summary>Amounts as the providers want them: Stripe in minor units, PayPal as a decimal string.</summary>
public static class Money
{
    // Stripe's zero-decimal currencies: the amount is already in the smallest unit.
    private static readonly HashSet<string> ZeroDecimal = new(StringComparer.OrdinalIgnoreCase)
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    };

    public static int Decimals(string currency) => ZeroDecimal.Contains(currency) ? 0 : 2;

    public static bool IsRepresentable(decimal amount, string currency) => decimal.Round(amount, Decimals(currency)) == amount;

    public static long ToMinorUnits(decimal amount, string currency) =>
        (long)decimal.Round(amount * (Decimals(currency) == 0 ? 1 : 100), 0, MidpointRounding.AwayFromZero);

    public static decimal FromMinorUnits(long minor, string currency) => Decimals(currency) == 0 ? minor : minor / 100m;

    public static string ToDecimalString(decimal amount, string currency) =>
        amount.ToString(Decimals(currency) == 0 ? "0" : "0.00", CultureInfo.InvariantCulture);

    public static bool IsCurrencyCode(string? currency) => currency is { Length: 3 } && currency.All(char.IsAsciiLetterUpper);
}
