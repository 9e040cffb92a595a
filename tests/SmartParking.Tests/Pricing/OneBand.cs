namespace SmartParking.Tests.Pricing;

/// <summary>
/// Policy fields that make every hour of the week one time band: a recompute then moves the price of every window a test
/// quotes, whatever the time of day the test runs at.
/// </summary>
public static class OneBand
{
    public static readonly string[] Week = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
}
