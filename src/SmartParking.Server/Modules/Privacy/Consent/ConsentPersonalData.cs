using Npgsql;

namespace SmartParking.Server.Modules.Privacy.Consent;

/// <summary>
/// The person's consent history. Erasure keeps it: it is the proof of what they agreed to and when, and names them only
/// by the erased account's id.
/// </summary>
internal sealed class ConsentPersonalData(NpgsqlDataSource db) : IPersonalDataHolder
{
    public string Area => "privacy";

    public async Task<IReadOnlyList<PersonalDataTable>> ExportAsync(DataSubject subject, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Consent belongs to no tenant: not in an operator's export.
        return
        [
            await PersonalDataTable.ReadAsync(connection, "consents", """
                select purpose, granted, source, policy_version, recorded_at from privacy_consents
                where user_id = @UserId and @Tenant::uuid is null order by recorded_at, id
                """, subject, ct),
        ];
    }

    public Task EraseAsync(ErasureScope scope, CancellationToken ct) => Task.CompletedTask;
}
