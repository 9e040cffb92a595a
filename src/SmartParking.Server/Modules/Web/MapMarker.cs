namespace SmartParking.Server.Modules.Web;

/// <param name="Label">What the tooltip and popup say (the colour alone never carries the meaning).</param>
/// <param name="Level">occ-ok, occ-low, occ-full or occ-none: the marker's colour.</param>
public sealed record MapMarker(Guid Id, string Name, double Latitude, double Longitude, string Label, string Level);

/// <summary>A point the map marks apart from the lots: the searched place.</summary>
public sealed record MapCentre(double Latitude, double Longitude, string Name);
