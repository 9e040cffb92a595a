using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>
/// The node's trained NLU. Training starts with the host (a few seconds) and requests wait for it. Models are shared per
/// process by the hash of their data and settings, so test hosts and replicas in one process train once.
/// </summary>
public sealed class NluEngine(IOptions<ChatOptions> options, TimeProvider time, ILogger<NluEngine> logger) : IHostedService
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<NluModel>>> Trained = new(StringComparer.Ordinal);

    private readonly ChatOptions _options = options.Value;
    private Lazy<Task<NluModel>>? _model;

    public TimeZoneInfo DefaultZone => TimeZoneInfo.FindSystemTimeZoneById(_options.DefaultTimeZone);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = ModelAsync(); // trains in the background; a failure surfaces on first use and in the log
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<NluModel> ModelAsync()
    {
        var model = LazyInitializer.EnsureInitialized(ref _model, () =>
        {
            var files = (_options.NluDataDirectory is { Length: > 0 } dir ? NluDataSource.FromDirectory(dir) : NluDataSource.BuiltIn()).ToList();
            var fallback = new NluFallback(_options.FallbackThreshold, _options.AmbiguityThreshold);
            var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
                string.Join('\0', files.SelectMany(f => new[] { f.Source, f.Yaml })) + $"\0{fallback}")));
            return Trained.GetOrAdd(key, _ => new Lazy<Task<NluModel>>(() => Task.Run(() => Train(files, fallback))));
        });
        return model.Value;
    }

    private NluModel Train(List<(string Source, string Yaml)> files, NluFallback fallback)
    {
        var started = time.GetTimestamp();
        var data = RasaNluYaml.Read(files);
        var model = NluModel.Train(data, fallback);
        ChatLog.NluTrained(logger, data.Examples.Count, data.Intents.Count, (long)time.GetElapsedTime(started).TotalMilliseconds);
        return model;
    }

    public async Task<NluParse> ParseAsync(string text, TimeZoneInfo? zone = null) =>
        (await ModelAsync()).Parse(text, time.GetUtcNow(), zone ?? DefaultZone);
}
