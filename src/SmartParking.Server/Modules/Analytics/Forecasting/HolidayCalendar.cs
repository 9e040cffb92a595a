using PublicHoliday;

namespace SmartParking.Server.Modules.Analytics.Forecasting;

/// <summary>Public holidays of a country (ISO 3166 alpha-2), from the PublicHoliday package; cached per year.</summary>
public sealed class HolidayCalendar
{
    public static readonly HolidayCalendar None = new(null, "none");

    private static readonly Dictionary<string, Func<IPublicHolidays>> Countries = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AT"] = () => new AustriaPublicHoliday(), ["AU"] = () => new AustraliaPublicHoliday(),
        ["BE"] = () => new BelgiumPublicHoliday(), ["CA"] = () => new CanadaPublicHoliday(),
        ["CH"] = () => new SwitzerlandPublicHoliday(), ["CZ"] = () => new CzechRepublicPublicHoliday(),
        ["DE"] = () => new GermanPublicHoliday(), ["DK"] = () => new DenmarkPublicHoliday(),
        ["EE"] = () => new EstoniaPublicHoliday(), ["ES"] = () => new SpainPublicHoliday(),
        ["FI"] = () => new FinlandPublicHoliday(), ["FR"] = () => new FrancePublicHoliday(),
        ["GB"] = () => new UKBankHoliday(), ["IE"] = () => new IrelandPublicHoliday(),
        ["IT"] = () => new ItalyPublicHoliday(), ["LU"] = () => new LuxembourgPublicHoliday(),
        ["NL"] = () => new DutchPublicHoliday(), ["NO"] = () => new NorwayPublicHoliday(),
        ["NZ"] = () => new NewZealandPublicHoliday(), ["PL"] = () => new PolandPublicHoliday(),
        ["PT"] = () => new PortugalPublicHoliday(), ["SE"] = () => new SwedenPublicHoliday(),
        ["US"] = () => new USAPublicHoliday(),
    };

    private readonly IPublicHolidays? source;
    private readonly Dictionary<int, HashSet<DateOnly>> years = [];
    private readonly Lock gate = new();

    public string Country { get; }

    private HolidayCalendar(IPublicHolidays? source, string country)
    {
        this.source = source;
        Country = country;
    }

    public static IReadOnlyCollection<string> SupportedCountries => Countries.Keys;

    /// <summary>The calendar of a country, or null when the package has none for it.</summary>
    public static HolidayCalendar? ForCountry(string country) =>
        Countries.TryGetValue(country, out var create) ? new HolidayCalendar(create(), country.ToUpperInvariant()) : null;

    public bool IsHoliday(DateOnly day)
    {
        if (source is null) return false;
        lock (gate)
        {
            if (!years.TryGetValue(day.Year, out var holidays))
                years[day.Year] = holidays = source.PublicHolidays(day.Year).Select(DateOnly.FromDateTime).ToHashSet();
            return holidays.Contains(day);
        }
    }
}
