using System.Globalization;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Admin.Components.Shared;

/// <summary>How a table cell reads on the dashboard: times in the operator's zone, money with two decimals, shares as percentages.</summary>
public static class CellText
{
    public static string Format(object? value, ColumnKind kind, TimeZoneInfo zone) => value switch
    {
        null => "",
        DateTimeOffset at => TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        decimal d when kind == ColumnKind.Money => d.ToString("0.00", CultureInfo.InvariantCulture),
        double share when kind == ColumnKind.Share => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %",
        bool b => b ? "yes" : "no",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public static bool AlignRight(ColumnKind kind) => kind is ColumnKind.Number or ColumnKind.Money or ColumnKind.Share;
}
