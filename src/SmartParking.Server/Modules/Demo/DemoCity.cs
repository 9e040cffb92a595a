using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Demo;

/// <summary>
/// Aarhus, Denmark: the eight municipal garages of the CityPulse occupancy series (data/aarhus)
/// with their real capacities, plus on-street blocks on real streets of the centre.
/// </summary>
internal static class DemoCity
{
    public const string TenantName = "Aarhus Parking";
    public const string TenantSlug = "aarhus";
    public const string TimeZone = "Europe/Copenhagen";
    public const string Currency = "DKK";
    public const double CentreLat = 56.1567;
    public const double CentreLng = 10.2108;

    public sealed record Garage(string Code, string Name, string Street, double Lat, double Lng, int Spaces, decimal Rate);

    public static readonly Garage[] Garages =
    [
        new("NORREPORT", "Nørreport", "Nørreport 22", 56.1597, 10.2085, 65, 25m),
        new("SKOLEBAKKEN", "Skolebakken", "Skolebakken 2", 56.1530, 10.2124, 512, 29m),
        new("SCANDCENTER", "Scandinavian Center", "Margrethepladsen 1", 56.1518, 10.1983, 1240, 22m),
        new("BRUUNS", "Bruuns Galleri", "M.P. Bruuns Gade 25", 56.1492, 10.2050, 953, 27m),
        new("BUSGADEHUSET", "Busgadehuset", "Busgade 6", 56.1549, 10.2051, 130, 30m),
        new("MAGASIN", "Magasin", "Immervad 2", 56.1570, 10.2069, 400, 30m),
        new("KALKVAERKSVEJ", "Kalkværksvej", "Kalkværksvej 10", 56.1487, 10.2115, 210, 18m),
        new("SALLING", "Salling", "Søndergade 27", 56.1554, 10.2080, 700, 30m),
    ];

    public static readonly string[] CountryCodes = ["DK"];

    /// <summary>The places of Aarhus drivers search for, with their Danish and English names.</summary>
    public static readonly CityPlace[] Places =
    [
        new("Aarhus Cathedral", 56.15679, 10.21069, ["Aarhus Domkirke", "Domkirken", "Cathedral"]),
        new("ARoS Aarhus Art Museum", 56.15388, 10.19965, ["ARoS", "Art Museum"]),
        new("Dokk1", 56.15344, 10.21426, ["Dokk 1", "Main Library"]),
        new("Aarhus Central Station", 56.15030, 10.20460, ["Aarhus H", "Central Station", "Train Station", "Banegården"]),
        new("Musikhuset Aarhus", 56.15350, 10.19770, ["Musikhuset", "Concert Hall"]),
        new("Godsbanen", 56.15560, 10.19640),
        new("Latin Quarter", 56.15850, 10.21030, ["Latinerkvarteret"]),
        new("Aarhus University", 56.16810, 10.20390, ["Aarhus Universitet", "University Park", "Universitetsparken"]),
        new("Den Gamle By", 56.15880, 10.19190, ["The Old Town"]),
        new("Aarhus City Hall", 56.15270, 10.20320, ["Aarhus Rådhus", "City Hall", "Rådhuset"]),
        new("Aarhus Theatre", 56.15710, 10.20880, ["Aarhus Teater"]),
        new("Botanical Garden", 56.16060, 10.19330, ["Botanisk Have"]),
        new("Moesgaard Museum", 56.08860, 10.22470, ["Moesgaard"]),
        new("Ceres Park", 56.13210, 10.19690, ["Aarhus Stadium", "Atletion"]),
    ];

    public static readonly string[] Streets =
    [
        "Åboulevarden", "Mejlgade", "Vestergade", "Frederiksgade", "Park Allé", "Nørregade", "Guldsmedgade", "Klostergade",
        "Jægergårdsgade", "Ryesgade", "Skolegade", "Kannikegade", "Vesterbrogade", "Nørre Allé", "Ingerslevs Boulevard",
        "Sankt Pauls Kirkeplads", "Fredensgade", "Sønder Allé", "Thorvaldsensgade", "Frederiks Allé", "Havnegade",
        "Europaplads", "Badstuegade", "Graven", "Studsgade", "Bispetorv", "Kystvejen", "Vester Allé", "Rosensgade", "Dalgas Avenue",
    ];

    /// <summary>
    /// A city-centre day in local time: ~15 % at night rising to ~85 % early on weekday afternoons; weekends quieter
    /// and later. The shape of the Aarhus garages' series, smoothed.
    /// </summary>
    public static double Occupancy(DateTime local)
    {
        var hour = local.Hour + local.Minute / 60.0;
        var (peak, height) = local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? (14.0, 0.55) : (13.0, 0.7);
        return 0.15 + height * Math.Exp(-Math.Pow((hour - peak) / 4.0, 2));
    }
}
