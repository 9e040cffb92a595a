using SmartParking.Server.Modules.Chat.Nlu;

namespace SmartParking.Tests.Chat;

/// <summary>The NLU trained once per test process on the repository's data, for the tests that need no server.</summary>
public static class BuiltInNlu
{
    private static readonly Lazy<NluModel> Trained = new(() => NluModel.Train(NluDataSource.Load(null)));

    public static NluModel Model => Trained.Value;
}
