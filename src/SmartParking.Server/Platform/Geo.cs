namespace SmartParking.Server.Platform;

public static class Geo
{
    public const double EarthRadiusMeters = 6_371_008.8;

    /// <summary>Great-circle (haversine) distance in metres.</summary>
    public static double DistanceMeters(double lat1, double lng1, double lat2, double lng2)
    {
        var dLat = (lat2 - lat1) * Math.PI / 180;
        var dLng = (lng2 - lng1) * Math.PI / 180;
        // Squares by multiplication: Math.Pow costs several times more, and nearby queries run this for every lot they look at.
        var sinLat = Math.Sin(dLat / 2);
        var sinLng = Math.Sin(dLng / 2);
        var a = sinLat * sinLat + Math.Cos(lat1 * Math.PI / 180) * Math.Cos(lat2 * Math.PI / 180) * sinLng * sinLng;
        return 2 * EarthRadiusMeters * Math.Asin(Math.Sqrt(a));
    }
}
