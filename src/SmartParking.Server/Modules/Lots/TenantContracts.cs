using System.ComponentModel;
using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;

namespace SmartParking.Server.Modules.Lots;

public sealed record TenantRequest(
    [property: Required] string? Name,
    [property: Description("Lowercase letters, digits and dashes (2-60); left out, made from the name.")] string? Slug,
    [property: Required, Description("An IANA time zone such as Europe/Copenhagen.")] string? TimeZone,
    [property: Required, Description("An ISO 4217 currency code such as EUR.")] string? Currency);

public sealed class Tenant
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Slug { get; init; } = "";
    public string TimeZone { get; init; } = "";
    public string Currency { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}
