using System.Data;
using System.Security.Claims;
using System.Text.Json;
using Dapper;
using SmartParking.Server.Modules.Identity.Audit;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Identity;

/// <summary>
/// Records who changed what. Written in the same transaction as the change, so neither exists without the other. What
/// names a person (the actor's address, a plate read by staff, the changes of <see cref="AuditFields.PersonalChanges"/>)
/// is sealed at rest.
/// </summary>
public sealed class AuditLog(FieldProtector protector)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The entity type of staff reads by plate (enforcement lookups, plate searches): the entity id is the plate.</summary>
    public const string PlateEntity = "plate";

    public Task RecordAsync(IDbConnection connection, IDbTransaction? tx, ClaimsPrincipal? actor, Guid? tenantId,
        string action, string entityType, object entityId, object? changes, CancellationToken ct)
    {
        Guid? actorId = actor is not null && Guid.TryParse(actor.FindFirstValue(AppClaims.Subject), out var id) ? id : null;
        var actorEmail = actor?.FindFirstValue(AppClaims.Email);
        var entity = entityId.ToString()!;
        var plate = entityType == PlateEntity;
        var changesJson = changes is null ? null : JsonSerializer.Serialize(changes, Json);
        var sealChanges = AuditFields.PersonalChanges.Contains(action);
        return connection.ExecuteAsync(new CommandDefinition("""
            insert into audit_log (tenant_id, actor_id, actor_email, actor_email_encrypted, actor_email_index, action, entity_type,
                                   entity_id, entity_id_encrypted, entity_id_index, changes, changes_encrypted)
            values (@tenantId, @actorId, @actorClear, @actorSealed, @actorIndex, @action, @entityType,
                    @entityClear, @entitySealed, @entityIndex, @changesClear::jsonb, @changesSealed)
            """, new
        {
            tenantId,
            actorId,
            actorClear = actorEmail is null ? AuditFields.SystemActor : null,
            actorSealed = protector.SealOrNull(actorEmail, AuditFields.ActorEmail),
            actorIndex = actorEmail is null ? null : AuditFields.ActorIndex(protector, actorEmail),
            action,
            entityType,
            entityClear = plate ? null : entity,
            entitySealed = plate ? protector.Seal(entity, AuditFields.EntityId) : null,
            entityIndex = plate ? AuditFields.PlateIndex(protector, entity) : null,
            changesClear = sealChanges ? null : changesJson,
            changesSealed = sealChanges ? protector.SealOrNull(changesJson, AuditFields.Changes) : null,
        }, tx, cancellationToken: ct));
    }
}

public sealed class AuditEntry
{
    public long Id { get; init; }
    public Guid? TenantId { get; init; }
    public Guid? ActorId { get; init; }
    public string? ActorEmail { get; init; }
    public string Action { get; init; } = "";
    public string EntityType { get; init; } = "";
    public string EntityId { get; init; } = "";
    [System.Text.Json.Serialization.JsonIgnore] public string? ChangesJson { get; init; }
    public JsonElement? Changes => ChangesJson is null ? null : JsonDocument.Parse(ChangesJson).RootElement;
    public DateTimeOffset At { get; init; }
}
