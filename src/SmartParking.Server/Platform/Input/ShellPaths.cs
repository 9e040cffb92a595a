namespace SmartParking.Server.Platform.Input;

/// <summary>Paths given to the offline commands.</summary>
public static class ShellPaths
{
    /// <summary>
    /// A relative path as the user meant it: `dotnet run --project …` starts the server in its project folder, so a path
    /// given from the shell's folder (PWD) is looked for there when it is not found from the process's own.
    /// </summary>
    public static string Resolve(string path)
    {
        if (Path.IsPathRooted(path) || Path.Exists(path)) return path;
        return Environment.GetEnvironmentVariable("PWD") is { Length: > 0 } shell && Path.Exists(Path.Combine(shell, path)) ? Path.Combine(shell, path) : path;
    }
}
