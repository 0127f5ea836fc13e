import Foundation
import HTTPTypes
import Hummingbird

/// The page a browser gets for an unknown address outside `/api` (`docs/api.md` §1).
enum NotFoundPage {
    static func response(path: String) -> Response {
        let escaped = HTML.escape(path)
        let html = """
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Not found · Fletcher</title><link rel="stylesheet" href="/assets/fletcher.css"></head>
            <body>
            <header class="top"><nav aria-label="Breadcrumb"><ol class="crumbs"><li><a href="/">Search</a></li></ol></nav>
            <span class="brand">Fletcher</span></header>
            <main id="main">
            <h1>Not found</h1>
            <p>There is nothing at <code>\(escaped)</code>.</p>
            <p><a href="/">Back to the plan search</a></p>
            </main>
            </body>
            </html>
            """
        return Response(
            status: .notFound, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
