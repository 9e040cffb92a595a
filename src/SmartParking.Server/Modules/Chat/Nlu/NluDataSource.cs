namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>
/// Where the assistant's training data comes from: the Rasa YAML files of the repository's <c>data/chat/nlu</c>, built into
/// the server, or a directory of such files (Chat:NluDataDirectory) for a team that edits its own.
/// </summary>
public static class NluDataSource
{
    private const string ResourcePrefix = "ChatNlu/";

    public static NluTrainingData Load(string? directory) => RasaNluYaml.Read(directory is { Length: > 0 } ? FromDirectory(directory) : BuiltIn());

    public static IEnumerable<(string Source, string Yaml)> BuiltIn()
    {
        var assembly = typeof(NluDataSource).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return (name[ResourcePrefix.Length..], reader.ReadToEnd());
        }
    }

    public static IEnumerable<(string Source, string Yaml)> FromDirectory(string directory)
    {
        if (!Directory.Exists(directory)) throw new NluDataException($"the NLU data directory '{Path.GetFullPath(directory)}' does not exist");
        var files = Directory.EnumerateFiles(directory, "*.yml", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(directory, "*.yaml", SearchOption.AllDirectories)).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new NluDataException($"the NLU data directory '{Path.GetFullPath(directory)}' has no .yml files");
        foreach (var file in files) yield return (Path.GetRelativePath(directory, file), File.ReadAllText(file));
    }
}
