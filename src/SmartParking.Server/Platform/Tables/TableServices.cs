namespace SmartParking.Server.Platform.Tables;

public static class TableServices
{
    /// <summary>
    /// Tables register as <see cref="ITable"/>, where the export endpoint finds them by name, and as
    /// <see cref="IDataTable{T}"/>, where other modules find them by what they return.
    /// </summary>
    public static IServiceCollection AddTable<TTable>(this IServiceCollection services) where TTable : class, ITable
    {
        services.AddSingleton<TTable>();
        services.AddSingleton<ITable>(sp => sp.GetRequiredService<TTable>());
        foreach (var typed in typeof(TTable).GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDataTable<>)))
            services.AddSingleton(typed, sp => sp.GetRequiredService<TTable>());
        return services;
    }
}

public sealed record TableInfo(string Name, string Title, IReadOnlyList<TableColumnInfo> Columns);
