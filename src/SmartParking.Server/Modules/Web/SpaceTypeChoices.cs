namespace SmartParking.Server.Modules.Web;

/// <summary>The space types a driver can ask for, with the words the pages show.</summary>
public static class SpaceTypeChoices
{
    public static readonly (string Value, string Text)[] All =
        [("standard", "Standard"), ("accessible", "Accessible"), ("ev", "EV charging"), ("compact", "Compact"), ("motorcycle", "Motorcycle")];

    /// <summary>How long a driver can choose to stay, in hours, on the search and reserve pages.</summary>
    public static readonly int[] Hours = [1, 2, 3, 4, 8, 12, 24];
}
