using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Privacy.Rights;

public static class RightsEndpoints
{
    public static void MapRightsEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/v1/me").WithTags("Privacy").RequireAuthorization(Policies.Driver);
        me.MapGet("/data-export", ExportOwn).Produces(StatusCodes.Status200OK, contentType: DataArchive.ContentType);
        me.MapPost("/erase", EraseOwn).RequireRateLimiting(HttpHygiene.AuthPolicy);
        // The web page's download link: the same archive for the signed-in browser (cookie, not bearer).
        app.MapGet("/me/data-export", ExportOwn).RequireAuthorization(Policies.Driver).ExcludeFromDescription();

        var manage = app.MapGroup("/api/v1/manage/privacy").WithTags("Privacy").RequireAuthorization(Policies.Operator);
        manage.MapPost("/data-export", ExportForStaff).Produces(StatusCodes.Status200OK, contentType: DataArchive.ContentType);
        manage.MapDelete("/accounts/{id:guid}", EraseByAdmin).RequireAuthorization(Policies.Admin).ExplainForbidden("Only a platform administrator erases accounts.");
    }

    private static async Task<FileContentHttpResult> ExportOwn(ClaimsPrincipal user, AccountRights rights, CancellationToken ct) =>
        File(await rights.ExportAsync(new DataSubject(user.UserId()), ct));

    private static async Task<FileContentHttpResult> ExportForStaff(DataSubjectRequest request, ClaimsPrincipal user, AccountRights rights, CancellationToken ct) =>
        File(await rights.ExportForStaffAsync(user, request, ct));

    private static async Task<NoContent> EraseOwn(EraseAccountRequest request, ClaimsPrincipal user, HttpContext http, PasswordSignIn signIn, AccountRights rights,
        CancellationToken ct)
    {
        await rights.EraseOwnAsync(user, signIn, request, http.Connection.RemoteIpAddress, ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> EraseByAdmin(Guid id, ClaimsPrincipal user, AccountRights rights, CancellationToken ct)
    {
        await rights.EraseByAdminAsync(user, id, ct);
        return TypedResults.NoContent();
    }

    private static FileContentHttpResult File(DataArchive archive) => TypedResults.File(archive.Content, DataArchive.ContentType, archive.FileName);
}
