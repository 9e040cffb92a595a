namespace SmartParking.Server.Modules.Identity;

/// <summary>What Identity needs to know of tenants, which the Lots module keeps: whether one exists (implemented there).</summary>
public interface ITenants
{
    Task<bool> ExistsAsync(Guid tenantId, CancellationToken ct);
}
