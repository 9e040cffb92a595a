namespace SmartParking.Server.Platform.Http;

/// <summary>
/// The Content-Security-Policy for an HTML page outside the API (the web app registers one). API, feed and probe routes
/// never ask it: they keep the strict <c>default-src 'none'</c> whatever a page needs.
/// </summary>
public interface IPagePolicy
{
    string ContentSecurityPolicy(HttpContext http);
}
