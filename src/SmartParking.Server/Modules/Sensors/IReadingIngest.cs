namespace SmartParking.Server.Modules.Sensors;

/// <summary>Readings handed to the ingest pipeline by another module (the demo's simulated traffic), as devices' are.</summary>
public interface IReadingIngest
{
    /// <summary>Queues the batch unless the queue is full; <paramref name="done"/> completes with each reading's outcome once written.</summary>
    bool TrySubmitBatch(IReadOnlyList<Reading> readings, out Task<IngestOutcome[]> done);
}
