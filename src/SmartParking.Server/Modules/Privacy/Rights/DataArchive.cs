using System.IO.Compression;
using System.Text.Json;
using SmartParking.Server.Platform.Exports;

namespace SmartParking.Server.Modules.Privacy.Rights;

/// <summary>A data export as it is downloaded: a ZIP with data.json (every table) and one CSV per table.</summary>
public sealed record DataArchive(string FileName, byte[] Content)
{
    public const string ContentType = "application/zip";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Tables are named "area.table" (identity.account, payments.refunds …), in data.json and as CSV file names.</summary>
    public static DataArchive Build(Guid userId, DateTimeOffset exportedAt, IReadOnlyList<(string Area, PersonalDataTable Table)> tables)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            var document = new Dictionary<string, object?>
            {
                ["userId"] = userId,
                ["exportedAt"] = exportedAt,
                ["tables"] = tables.ToDictionary(t => Name(t), t => t.Table.Rows.Select(row =>
                    t.Table.Columns.Select((column, i) => (column, row[i])).ToDictionary(c => c.column, c => c.Item2)).ToList()),
            };
            Add(zip, "data.json", JsonSerializer.SerializeToUtf8Bytes(document, Json));
            foreach (var t in tables)
                Add(zip, Name(t) + ".csv", TableExport.Csv(t.Table.Rows, [.. t.Table.Columns.Select((column, i) => new ExportColumn<IReadOnlyList<object?>>(column, row => row[i]))]));
        }
        return new DataArchive($"smartparking-data-{userId}-{exportedAt:yyyyMMdd'T'HHmmss'Z'}.zip", output.ToArray());
    }

    private static string Name((string Area, PersonalDataTable Table) t) => $"{t.Area}.{t.Table.Name}";

    private static void Add(ZipArchive zip, string name, byte[] content)
    {
        using var entry = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        entry.Write(content);
    }
}
