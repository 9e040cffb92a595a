namespace SmartParking.Server.Modules.Lots;

/// <summary>
/// Lots' tables as other modules may use them inside their own statements, where a call would cost a round trip on a
/// hot path (a booking picks its space in one statement, ingest re-checks a batch's spaces) or a list sorts by a lot's
/// name. Lots owns these fragments, so its schema stays its own: a change here keeps every caller right.
/// </summary>
public static class LotsSql
{
    /// <summary>A space's facts as columns id, lot_id, zone_id, type, label, out_of_service from spaces aliased s: the caller appends a where on s.</summary>
    public const string SpaceFacts = "select s.id, s.lot_id, s.zone_id, s.type, s.label, s.out_of_service from spaces s";

    /// <summary>The name of the lot whose id is in <paramref name="lotIdColumn"/>, for ordering by it.</summary>
    public static string LotName(string lotIdColumn) => $"(select name from lots where id = {lotIdColumn})";

    /// <summary>
    /// Joins the space whose id is in <paramref name="spaceIdColumn"/> as <paramref name="alias"/> (columns label, zone_id,
    /// type, …); a left join when the row may have none.
    /// </summary>
    public static string SpaceJoin(string spaceIdColumn, string alias, bool left = false) =>
        $"{(left ? "left join" : "join")} spaces {alias} on {alias}.id = {spaceIdColumn}";

    /// <summary>True while the space whose id is in <paramref name="spaceIdColumn"/> exists.</summary>
    public static string SpaceExists(string spaceIdColumn) => $"exists (select 1 from spaces where id = {spaceIdColumn})";
}
