namespace SmartParking.Server.Modules.Analytics.Forecasting;

/// <summary>
/// Finds the hours when a lot's feed was stuck: the hourly share stays exactly the same (gaps aside) for at least
/// <see cref="CandidateHours"/> observed hours, and the run covers at least <see cref="MovingHoursToCut"/> hours of the
/// week at which this lot's occupancy normally changes (it changed from the hour before in at least half of the other
/// weeks, counted outside such runs). A lot empty all night, or closed every Sunday, is flat at hours when it is always
/// flat, so it is kept. An empty or a full lot (share 0 or 1, where counts above capacity are clipped) can stay so for
/// days, so such a run is cut only when it lasts a whole week, which is never parking behaviour; so is any run that
/// long, even in a lot that hardly ever moves. Stuck hours are gaps for training, for the features, and for scoring.
/// </summary>
internal static class StuckFeed
{
    /// <summary>Shorter runs are left alone: a lot can be empty all night or full all afternoon.</summary>
    public const int CandidateHours = 12;

    public const int MovingHoursToCut = 6;

    public const int AlwaysStuckHours = LocalHours.Week;

    private const double MovingShare = 0.5;
    private const int MinimumWeeksSeen = 2;

    /// <summary>Per hour of <paramref name="lot"/>'s series, whether it lies in a stuck run.</summary>
    public static bool[] Hours(LotHistory lot)
    {
        var share = lot.Share;
        var stuck = new bool[share.Length];
        var candidates = ConstantRuns(share).Where(r => r.Observed >= CandidateHours).ToList();
        if (candidates.Count == 0) return stuck;

        var inCandidate = new bool[share.Length];
        foreach (var run in candidates) Array.Fill(inCandidate, true, run.First, run.Last - run.First + 1);
        var hourOfWeek = HoursOfWeek(lot.StartUtc, share.Length, lot.TimeZone);
        var seen = new int[LocalHours.Week];
        var changed = new int[LocalHours.Week];
        for (var i = 1; i < share.Length; i++)
        {
            if (inCandidate[i] || inCandidate[i - 1] || double.IsNaN(share[i]) || double.IsNaN(share[i - 1])) continue;
            seen[hourOfWeek[i]]++;
            if (share[i] != share[i - 1]) changed[hourOfWeek[i]]++;
        }

        foreach (var run in candidates)
        {
            var moving = 0;
            for (var i = run.First + 1; i <= run.Last; i++)
            {
                var w = hourOfWeek[i];
                if (!double.IsNaN(share[i]) && seen[w] >= MinimumWeeksSeen && changed[w] >= MovingShare * seen[w]) moving++;
            }
            var atBound = share[run.First] is <= 0 or >= 1;
            if ((moving >= MovingHoursToCut && !atBound) || run.Observed >= AlwaysStuckHours)
                Array.Fill(stuck, true, run.First, run.Last - run.First + 1);
        }
        return stuck;
    }

    /// <summary>The maximal runs of one exact value, gaps inside a run included; First and Last are observed hours.</summary>
    private static IEnumerable<(int First, int Last, int Observed)> ConstantRuns(double[] share)
    {
        var i = 0;
        while (i < share.Length)
        {
            if (double.IsNaN(share[i]))
            {
                i++;
                continue;
            }
            var (first, last, observed) = (i, i, 1);
            for (var j = i + 1; j < share.Length; j++)
            {
                if (double.IsNaN(share[j])) continue;
                if (share[j] != share[first]) break;
                last = j;
                observed++;
            }
            yield return (first, last, observed);
            i = last + 1;
        }
    }

    /// <summary>
    /// The local hour of the week (0 = Sunday 00:00) of each UTC hour from <paramref name="startUtc"/>. The zone's offset
    /// is looked up at both ends of each day and per hour only on a day it changes: a lookup is slow and this runs for
    /// every lot on every training and forecast.
    /// </summary>
    private static int[] HoursOfWeek(DateTime startUtc, int count, TimeZoneInfo zone)
    {
        var result = new int[count];
        for (var day = 0; day < count; day += 24)
        {
            var end = Math.Min(day + 24, count);
            var offset = zone.GetUtcOffset(startUtc.AddHours(day));
            var sameAllDay = zone.GetUtcOffset(startUtc.AddHours(end - 1)) == offset;
            for (var i = day; i < end; i++)
            {
                var utc = startUtc.AddHours(i);
                var local = utc + (sameAllDay ? offset : zone.GetUtcOffset(utc));
                result[i] = (int)local.DayOfWeek * 24 + local.Hour;
            }
        }
        return result;
    }
}
