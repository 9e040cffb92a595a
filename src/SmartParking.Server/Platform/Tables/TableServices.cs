namespace SmartParking.Server.Platform.Tables;

public static class TableServices
{
    /// <summary>Tables register as <see cref="ITable"/>; the export endpoint finds them by name.</summary>
    public static IServiceCollection AddTable<TTable>(this IServiceCollection services) where TTable : class, ITable
    {
        services.AddSingleton<TTable>();
        services.AddSingleton<ITable>(sp => sp.GetRequiredService<TTable>());
        return services;
    }
}

public sealed record TableInfo(string Name, string Title, IReadOnlyList<TableColumnInfo> Columns);
