using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Identity.Audit;

/// <summary>
/// The audit log's personal fields kept sealed at rest: the actor's e-mail address, found by the blind index of the
/// address normalised as the users' index is, so the log can still be searched by who acted; the plate a staff read was
/// about (entity type "plate"), found by its blind index; and the changes of the actions that name a person.
/// </summary>
internal static class AuditFields
{
    public static readonly FieldScope ActorEmail = new("audit_log", "actor_email");
    public static readonly FieldScope EntityId = new("audit_log", "entity_id");
    public static readonly FieldScope Changes = new("audit_log", "changes");

    /// <summary>The actor of what no person did (start-up, the demo's seeding): it names no one, so it stays in clear.</summary>
    public const string SystemActor = "system";

    /// <summary>
    /// Actions whose changes name a person: an export's filters (a plate, an address, a name searched for) and a new
    /// staff account's address and name.
    /// </summary>
    public static readonly IReadOnlyList<string> PersonalChanges = [AccessAudit.TableExported, "operator.created", "admin.created_on_first_start"];

    public static byte[] ActorIndex(FieldProtector protector, string email) => protector.BlindIndex(UserFields.NormaliseEmail(email.Trim()), ActorEmail);

    public static byte[] PlateIndex(FieldProtector protector, string plate) => protector.BlindIndex(Plates.Normalise(plate)!, EntityId);

    public static void AddAuditFieldEncryption(this IServiceCollection services)
    {
        services.AddProtectedColumn(new ProtectedColumn(ActorEmail, "actor_email", "actor_email_encrypted", "actor_email_index", UserFields.NormaliseEmail,
            ClearNotPersonalSql: $"actor_email = '{SystemActor}'"));
        // Sealed, not dropped: staff reads stay accountable, and the blind index still answers "who looked up this plate".
        services.AddProtectedColumn(new ProtectedColumn(EntityId, "entity_id", "entity_id_encrypted", "entity_id_index", p => Plates.Normalise(p)!,
            ClearNotPersonalSql: $"entity_type <> '{AuditLog.PlateEntity}'"));
        services.AddProtectedColumn(new ProtectedColumn(Changes, "changes", "changes_encrypted",
            ClearNotPersonalSql: $"action not in ({string.Join(", ", PersonalChanges.Select(a => $"'{a}'"))})"));
    }
}
