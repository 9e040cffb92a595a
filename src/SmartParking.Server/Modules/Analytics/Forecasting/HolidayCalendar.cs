using System.Globalization;
using PublicHoliday;

namespace SmartParking.Server.Modules.Analytics.Forecasting;

/// <summary>
/// Public holidays of a country (ISO 3166 alpha-2), from the PublicHoliday package, cached per year; and its school
/// breaks, from a rule per country in <see cref="SchoolBreaks"/> (none for a country without one). Parking demand moves
/// in a school break (families away or in town shopping), so the forecast learns them like holidays.
/// </summary>
public sealed class HolidayCalendar
{
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

    /// <summary>
    /// The school breaks most of a country's schools share, as a rule on the date. Denmark: winter break in ISO week 7,
    /// summer from the last Saturday of June to the Sunday of ISO week 32, autumn break in ISO week 42, Christmas from
    /// 21 December to 2 January (some municipalities take winter break in week 8; the rule follows the majority).
    /// </summary>
    private static readonly Dictionary<string, Func<DateOnly, bool>> SchoolBreaks = new(StringComparer.OrdinalIgnoreCase)
    {
        ["DK"] = day =>
        {
            var week = ISOWeek.GetWeekOfYear(day.ToDateTime(TimeOnly.MinValue));
            var lastJuneSaturday = new DateOnly(day.Year, 6, 30);
            while (lastJuneSaturday.DayOfWeek != DayOfWeek.Saturday) lastJuneSaturday = lastJuneSaturday.AddDays(-1);
            var summerEnd = DateOnly.FromDateTime(ISOWeek.ToDateTime(day.Year, 32, DayOfWeek.Sunday));
            return week is 7 or 42
                   || (day >= lastJuneSaturday && day <= summerEnd)
                   || day is { Month: 12, Day: >= 21 } or { Month: 1, Day: <= 2 };
        },
    };

    // After the rules: static fields initialise in order and the constructor reads them.
    public static readonly HolidayCalendar None = new(null, "none");

    private readonly IPublicHolidays? source;
    private readonly Func<DateOnly, bool>? schoolBreak;
    private readonly Dictionary<int, HashSet<DateOnly>> years = [];
    private readonly Dictionary<int, HashSet<DateOnly>> schoolYears = [];
    private readonly Lock gate = new();

    public string Country { get; }

    private HolidayCalendar(IPublicHolidays? source, string country)
    {
        this.source = source;
        Country = country;
        schoolBreak = SchoolBreaks.GetValueOrDefault(country);
    }

    public static IReadOnlyCollection<string> SupportedCountries => Countries.Keys;

    /// <summary>The calendar of a country, or null when the package has none for it.</summary>
    public static HolidayCalendar? ForCountry(string country) =>
        Countries.TryGetValue(country, out var create) ? new HolidayCalendar(create(), country.ToUpperInvariant()) : null;

    /// <summary>Whether the day is in one of the country's school breaks (the rule runs once per year; training asks millions of times).</summary>
    public bool IsSchoolHoliday(DateOnly day)
    {
        if (schoolBreak is null) return false;
        lock (gate)
        {
            if (!schoolYears.TryGetValue(day.Year, out var breaks))
            {
                var first = new DateOnly(day.Year, 1, 1);
                schoolYears[day.Year] = breaks = Enumerable.Range(0, DateTime.IsLeapYear(day.Year) ? 366 : 365)
                    .Select(first.AddDays).Where(schoolBreak).ToHashSet();
            }
            return breaks.Contains(day);
        }
    }

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
