using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("SmartParking.Tests.Infrastructure.LongRunsFirstOrderer", "SmartParking.Tests")]

namespace SmartParking.Tests.Infrastructure;

/// <summary>
/// Marks a test class whose tests keep one core busy for minutes in all (model training): its tests run one after
/// another, so started late it would finish alone on one core after the rest of the suite.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LongRunFirstAttribute : Attribute;

/// <summary>Starts the collections of <see cref="LongRunFirstAttribute"/> classes first, the rest in xUnit's own order.</summary>
public sealed class LongRunsFirstOrderer : ITestCollectionOrderer
{
    private const string PerClassPrefix = "Test collection for ";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        new DefaultTestCollectionOrderer().OrderTestCollections(testCollections).OrderBy(c => IsLongRun(c) ? 0 : 1);

    private static bool IsLongRun(ITestCollection collection) =>
        collection.DisplayName.StartsWith(PerClassPrefix, StringComparison.Ordinal)
        && typeof(LongRunsFirstOrderer).Assembly.GetType(collection.DisplayName[PerClassPrefix.Length..]) is { } type
        && type.GetCustomAttribute<LongRunFirstAttribute>() is not null;
}
