using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Tests.Analytics.Forecasting;

public sealed class OccupancyCsvTests
{
    private static readonly TimeZoneInfo Copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");

    private static OccupancyCsvData Read(string csv, TimeZoneInfo? zone = null) => OccupancyCsv.Read(new StringReader(csv), zone);

    [Fact]
    public void ImportShape_OffsetsAsGiven_LocalTimesInTheZone()
    {
        var data = Read("""
            lot,capacity,occupied,observed_at
            A,100,50,2024-03-01T10:15:00Z
            A,100,30,2024-03-01T12:20:00+01:00
            B,10,5,2024-03-01 12:00
            """, Copenhagen);

        data.Shape.ShouldBe("import");
        var a = data.Lots.Single(l => l.Lot == "A");
        a.StartUtc.ShouldBe(new DateTime(2024, 3, 1, 10, 0, 0, DateTimeKind.Utc));
        a.Share.Length.ShouldBe(2);
        a.Share[0].ShouldBe(0.5);
        a.Share[1].ShouldBe(0.3);
        // 12:00 in Copenhagen in winter is 11:00 UTC.
        data.Lots.Single(l => l.Lot == "B").StartUtc.ShouldBe(new DateTime(2024, 3, 1, 11, 0, 0, DateTimeKind.Utc));
    }

    [Fact]
    public void CityPulseShape_MapsItsColumns_AndReadsTimesInCopenhagenByDefault()
    {
        var data = Read("""
            vehiclecount,updatetime,_id,totalspaces,garagecode,streamtime
            61,2014-05-22 09:09:04.145,1,65,NORREPORT,2014-11-03 16:18:44
            """);

        data.Shape.ShouldBe("citypulse");
        data.TimeZone.Id.ShouldBe("Europe/Copenhagen");
        var lot = data.Lots.Single();
        lot.Lot.ShouldBe("NORREPORT");
        // Summer time: 09:09 local is 07:09 UTC.
        lot.StartUtc.ShouldBe(new DateTime(2014, 5, 22, 7, 0, 0, DateTimeKind.Utc));
        lot.Share.Single().ShouldBe(61.0 / 65, 1e-12);
    }

    [Fact]
    public void Mess_ClippedDroppedDeduplicatedAveragedAndGapsLeftAsGaps()
    {
        var data = Read("""
            lot,capacity,occupied,observed_at
            A,10,12,2024-03-01T10:00:00Z
            A,10,-1,2024-03-01T10:10:00Z
            A,10,4,2024-03-01T10:20:00Z
            A,10,9,2024-03-01T10:20:00Z
            A,10,2,2024-03-01T10:50:00Z
            A,0,2,2024-03-01T11:10:00Z
            A,10,6,2024-03-01T13:05:00Z
            """);

        var cleaning = data.Cleaning.Single();
        cleaning.ShouldBe(new LotCleaning("A", Rows: 7, Kept: 4, Clipped: 1, DroppedNegative: 1, DroppedDuplicate: 1,
            DroppedNoCapacity: 1, HoursWithData: 2, GapHours: 2));
        var share = data.Lots.Single().Share;
        // 10:00–11:00: the clipped 10/10, the first of the two 10:20 readings (4/10) and 2/10, averaged.
        share[0].ShouldBe((1.0 + 0.4 + 0.2) / 3, 1e-12);
        double.IsNaN(share[1]).ShouldBeTrue();
        double.IsNaN(share[2]).ShouldBeTrue();
        share[3].ShouldBe(0.6, 1e-12);
    }

    [Fact]
    public void OtherHeader_NamesTheMissingColumns()
    {
        var e = Should.Throw<OccupancyCsvException>(() => Read("lot,occupied,when\nA,1,2024-03-01T10:00:00Z\n"));

        e.Message.ShouldContain("missing columns: capacity, observed_at");
        e.Row.ShouldBe(1);
    }

    [Fact]
    public void BadDate_NamesTheRowAndColumn()
    {
        var e = Should.Throw<OccupancyCsvException>(() => Read("lot,capacity,occupied,observed_at\nA,10,1,2024-03-01T10:00:00Z\nA,10,1,yesterday\n"));

        e.Row.ShouldBe(3);
        e.Column.ShouldBe("observed_at");
        e.Message.ShouldContain("row 3: observed_at 'yesterday'");
    }

    [Fact]
    public void BadNumber_NamesTheRowAndColumn()
    {
        var e = Should.Throw<OccupancyCsvException>(() => Read("lot,capacity,occupied,observed_at\nA,ten,1,2024-03-01T10:00:00Z\n"));

        e.Row.ShouldBe(2);
        e.Column.ShouldBe("capacity");
    }
}
