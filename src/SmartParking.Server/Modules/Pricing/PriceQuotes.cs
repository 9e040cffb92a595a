using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>A price for a stay, locked when quoted.</summary>
public sealed record PriceQuote(decimal Amount, string Currency, decimal RatePerHour, int Minutes);

/// <summary>
/// Prices stays. Until dynamic pricing exists this is the lot's base hourly rate, charged per started minute.
/// </summary>
public sealed class PriceQuotes
{
    public PriceQuote Quote(LotFacts lot, DateTimeOffset start, DateTimeOffset end) =>
        ForMinutes(lot, (int)Math.Ceiling((end - start).TotalMinutes));

    public PriceQuote ForMinutes(LotFacts lot, int minutes)
    {
        var rate = lot.BaseHourlyRate;
        return new PriceQuote(Math.Round(rate * minutes / 60m, 2, MidpointRounding.AwayFromZero), lot.Currency, rate, Math.Max(0, minutes));
    }

    /// <summary>The rate a meter session started now pays.</summary>
    public decimal CurrentRate(LotFacts lot) => lot.BaseHourlyRate;
}
