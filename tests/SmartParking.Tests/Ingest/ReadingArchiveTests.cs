using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Platform.Database;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Ingest;

public sealed class ReadingArchiveTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    [Fact]
    public async Task ExpiredPartition_ArchivedVerifiedThenDropped_AndReimportGivesTheSameRowsOnce()
    {
        var day = Today.AddDays(-100);
        var partitions = factory.Services.GetRequiredService<ReadingPartitions>();
        await using var connection = await factory.Sql.OpenConnectionAsync();
        await partitions.EnsureAsync(connection, [day], CancellationToken.None);
        var at = day.ToDateTime(new TimeOnly(10, 15, 30), DateTimeKind.Utc);
        // Two identical rows as well: an import must keep both, and a second import add neither.
        await factory.ExecuteAsync("""
            insert into sensor_readings (observed_at, received_at, space_id, sensor_id, tenant_id, status, source) values
              ($1 + interval '0.123456 second', $1 + interval '1 second', $2, $3, $4, 1, 0),
              ($1 + interval '1 hour', $1 + interval '1 hour 2 seconds', $2, null, $4, 0, 3),
              ($1 + interval '2 hours', $1 + interval '2 hours', $2, $3, $4, 2, 1),
              ($1 + interval '2 hours', $1 + interval '2 hours', $2, $3, $4, 2, 1)
            """, at, Guid.NewGuid(), Guid.NewGuid(), factory.TenantId);
        var before = await RowsAsync(day);
        before.Count.ShouldBe(4);

        (await partitions.DropExpiredAsync(connection, Today.AddDays(-90), CancellationToken.None)).ShouldBeGreaterThanOrEqualTo(1);

        (await factory.ScalarAsync<long>("select count(*) from pg_class where relname = $1", ReadingPartitions.NameOf(day))).ShouldBe(0);
        var file = Path.Combine(factory.ArchiveDirectory, ReadingArchive.FileNameOf(day));
        File.Exists(file).ShouldBeTrue();
        (await File.ReadAllTextAsync(file + ".sha256")).ShouldEndWith($"  {Path.GetFileName(file)}\n");
        Directory.EnumerateFiles(factory.ArchiveDirectory, "*.partial").ShouldBeEmpty();

        var output = new StringWriter();
        (await ReadingArchive.RunImportCommandAsync(factory.Services, file, output, TextWriter.Null)).ShouldBe(0);
        output.ToString().ShouldStartWith("Imported 4 readings");
        (await RowsAsync(day)).ShouldBe(before);

        output = new StringWriter();
        (await ReadingArchive.RunImportCommandAsync(factory.Services, file, output, TextWriter.Null)).ShouldBe(0);
        output.ToString().ShouldStartWith("Imported 0 readings");
        (await RowsAsync(day)).ShouldBe(before);
    }

    [Fact]
    public async Task Import_FileNotMatchingItsChecksum_RefusedAndNothingImported()
    {
        var day = Today.AddDays(-120);
        var partitions = factory.Services.GetRequiredService<ReadingPartitions>();
        await using var connection = await factory.Sql.OpenConnectionAsync();
        await partitions.EnsureAsync(connection, [day], CancellationToken.None);
        await factory.ExecuteAsync("insert into sensor_readings (observed_at, received_at, space_id, tenant_id, status, source) values ($1, $1, $2, $3, 1, 1)",
            day.ToDateTime(new TimeOnly(8, 0), DateTimeKind.Utc), Guid.NewGuid(), factory.TenantId);
        await partitions.DropExpiredAsync(connection, Today.AddDays(-90), CancellationToken.None);
        var file = Path.Combine(factory.ArchiveDirectory, ReadingArchive.FileNameOf(day));
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[^5] ^= 0xFF;
        await File.WriteAllBytesAsync(file, bytes);

        var error = new StringWriter();
        (await ReadingArchive.RunImportCommandAsync(factory.Services, file, TextWriter.Null, error)).ShouldBe(1);

        error.ToString().ShouldContain("does not match its checksum");
        (await RowsAsync(day)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ArchiveCannotBeWritten_PartitionKept()
    {
        var day = Today.AddDays(-140);
        var notADirectory = Path.Combine(factory.ArchiveDirectory, "plain-file");
        Directory.CreateDirectory(factory.ArchiveDirectory);
        await File.WriteAllTextAsync(notADirectory, "");
        var archive = new ReadingArchive(Options.Create(new IngestOptions { ArchiveDirectory = notADirectory }), Options.Create(new DatabaseOptions()),
            factory.Services.GetRequiredService<IHostEnvironment>());
        var partitions = new ReadingPartitions(archive, NullLogger<ReadingPartitions>.Instance);
        await using var connection = await factory.Sql.OpenConnectionAsync();
        await partitions.EnsureAsync(connection, [day], CancellationToken.None);

        await partitions.DropExpiredAsync(connection, day.AddDays(1), CancellationToken.None);

        (await factory.ScalarAsync<long>("select count(*) from pg_class where relname = $1", ReadingPartitions.NameOf(day))).ShouldBe(1);
    }

    private Task<List<string>> RowsAsync(DateOnly day) => factory.ColumnAsync("""
        select format('%s|%s|%s|%s|%s|%s|%s', observed_at, received_at, space_id, sensor_id, tenant_id, status, source)
        from sensor_readings where observed_at >= $1 and observed_at < $1 + interval '1 day' order by 1
        """, day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
}
