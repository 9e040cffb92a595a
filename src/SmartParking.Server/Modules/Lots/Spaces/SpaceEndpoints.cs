using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.OpenApi;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Lots.Spaces;

public static class SpaceEndpoints
{
    public static void MapSpaceEndpoints(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        var group = app.MapGroup("/api/v1/manage").WithTags("Spaces").RequireAuthorization(Policies.Operator);
        group.MapGet("/lots/{lotId:guid}/spaces", List);
        group.MapPost("/lots/{lotId:guid}/spaces", Create);
        group.MapPost("/lots/{lotId:guid}/spaces/import", SpaceCsvImport.ImportAsync)
            .Accepts<string>("text/csv").DescribeBody<string>(SpaceCsvImport.Description, oneOrMany: false, "text/csv").AllowImportSizedBody(configuration);
        group.MapGet("/spaces/{id:guid}", Get);
        group.MapPut("/spaces/{id:guid}", Update);
        group.MapDelete("/spaces/{id:guid}", Delete);
    }

    private static Task<Page<SpaceView>> List(Guid lotId, ClaimsPrincipal principal, SpacesTable table, int? page, int? pageSize, string? sort, string? dir,
        string? type, string? level, Guid? zoneId, bool? outOfService, string? q, CancellationToken ct)
    {
        new Validation().MaxLength(q, "q", 40).ThrowIfInvalid();
        return table.PageAsync(principal, TableRequest.From(page, pageSize, sort, dir, q)
            .With("lotId", lotId).With("type", type).With("level", level).With("zoneId", zoneId).With("outOfService", outOfService), ct);
    }

    private static Task<Space> Get(Guid id, ClaimsPrincipal principal, SpaceService spaces, CancellationToken ct) => spaces.GetAsync(principal, id, ct);

    private static async Task<Created<Space>> Create(Guid lotId, SpaceRequest request, ClaimsPrincipal principal, SpaceService spaces, CancellationToken ct)
    {
        var space = await spaces.CreateAsync(principal, lotId, request, ct);
        return TypedResults.Created($"/api/v1/manage/spaces/{space.Id}", space);
    }

    private static Task<Space> Update(Guid id, SpaceRequest request, ClaimsPrincipal principal, SpaceService spaces, CancellationToken ct) =>
        spaces.UpdateAsync(principal, id, request, ct);

    private static async Task<NoContent> Delete(Guid id, ClaimsPrincipal principal, SpaceService spaces, CancellationToken ct)
    {
        await spaces.DeleteAsync(principal, id, ct);
        return TypedResults.NoContent();
    }

    internal static async Task<Space> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, Guid id, Guid? scope, CancellationToken ct) =>
        await connection.QuerySingleOrDefaultAsync<Space>(new CommandDefinition(
            $"{SpaceStore.Select} where s.id = @id and (@scope::uuid is null or s.tenant_id = @scope)", new { id, scope }, tx, cancellationToken: ct))
        ?? throw new NotFoundException("Space");
}
