using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Identity.Audit;

/// <summary>
/// The audit log's personal fields kept sealed at rest: the actor's e-mail address, found by the blind index of the
/// address normalised as the users' index is, so the log can still be searched by who acted.
/// </summary>
internal static class AuditFields
{
    public static readonly FieldScope ActorEmail = new("audit_log", "actor_email");

    /// <summary>The actor of what no person did (start-up, the demo's seeding): it names no one, so it stays in clear.</summary>
    public const string SystemActor = "system";

    public static byte[] ActorIndex(FieldProtector protector, string email) => protector.BlindIndex(UserFields.NormaliseEmail(email.Trim()), ActorEmail);

    public static void AddAuditFieldEncryption(this IServiceCollection services) =>
        services.AddProtectedColumn(new ProtectedColumn(ActorEmail, "actor_email", "actor_email_encrypted", "actor_email_index", UserFields.NormaliseEmail,
            ClearNotPersonalSql: $"actor_email = '{SystemActor}'"));
}
