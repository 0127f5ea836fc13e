import Foundation

/// `/swagger`: Swagger UI for `/spec`, loaded from `SWAGGER_UI_URL` (`docs/api.md` §2). No copy of
/// Swagger UI is in this repository; offline the page still links to the raw document.
enum SwaggerPage {
    /// A pinned release on a public CDN. Its files are checked by subresource integrity.
    static let defaultAssetsURL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@4.15.5"
    /// SHA-384 of swagger-ui-dist 4.15.5's files (the same bytes on every CDN that mirrors npm).
    private static let bundleIntegrity = "sha384-GJoyyEnbeIyINXWDkEzUHpPPCZPcP2KrAg83c6DGAkTPr2tDHQ59DuqMRwAwsJwV"
    private static let stylesIntegrity = "sha384-2/StnWvcTFa+ulN5XGsmRCRCHlS3w55zYM2opgTX9cGDkOHlC2PJMND08SWG4Bag"

    static func html(assetsURL: String) -> String {
        let base = assetsURL.hasSuffix("/") ? String(assetsURL.dropLast()) : assetsURL
        // Integrity hashes hold only for the pinned release; a self-hosted copy is trusted as configured.
        let pinned = base == defaultAssetsURL
        let styleCheck = pinned ? " integrity=\"\(stylesIntegrity)\" crossorigin=\"anonymous\"" : ""
        let scriptCheck = pinned ? " integrity=\"\(bundleIntegrity)\" crossorigin=\"anonymous\"" : ""
        let escaped = HTML.escape(base)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Fletcher API</title>
              <link rel="stylesheet" href="\(escaped)/swagger-ui.css"\(styleCheck)>
            </head>
            <body>
              <header><p>Fletcher API. The OpenAPI document itself: <a href="/spec">/spec</a> (JSON),
              <a href="/spec.yaml">/spec.yaml</a>.</p></header>
              <main id="swagger-ui"></main>
              <script src="\(escaped)/swagger-ui-bundle.js"\(scriptCheck)></script>
              <script src="/swagger/init.js"></script>
            </body>
            </html>
            """
    }

    /// Kept out of the page so the content security policy can forbid inline scripts.
    static let initScript = """
        window.addEventListener("load", function () {
          if (window.SwaggerUIBundle) {
            window.ui = SwaggerUIBundle({ url: "/spec", dom_id: "#swagger-ui", deepLinking: true });
          }
        });
        """

    /// Allows the CDN for scripts and styles (Swagger UI sets inline styles), nothing else.
    static func contentSecurityPolicy(assetsURL: String) -> String {
        let origin = origin(of: assetsURL)
        return "default-src 'self'; script-src 'self' \(origin); style-src 'self' 'unsafe-inline' \(origin); "
            + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
    }

    private static func origin(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return "'self'" }
        let rest = url[scheme.upperBound...]
        let host = rest.prefix { $0 != "/" }
        return String(url[..<scheme.upperBound]) + host
    }

}
