import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Login, logout and plan management in the browser (`docs/ui.md`): the same core operations as the
/// API under the same roles, each form checked for its CSRF token, each change confirmed on a page
/// that states what it will do before anything is written.
extension PageRoutes {
    private struct LoginView {
        let title = "Log in"
        let crumb: Crumb? = nil
        let user: UserView? = nil
        let csrf: String
        let service: String
        let error: String?
    }

    private struct MessageView {
        let title: String
        let crumb: Crumb? = nil
        let user: UserView?
        let heading: String
        let message: String
        let back: String?
        let login: Bool
    }

    private struct ConfirmView {
        let title: String
        let crumb: Crumb?
        let user: UserView?
        let heading: String
        let summary: String
        let datasetID: String
        let action: String
        let csrf: String
        let listed: [ProductItem]
        let resets: [ProductItem]
        /// Stored, not computed: Mustache sees stored properties only.
        let hasResets: Bool
    }

    /// What each button does: the command, the API operation whose role it needs, and how the
    /// confirmation says it.
    private enum Action: String {
        case clear, trigger, running, success, failed, disable, pause, unpause

        var operationID: String {
            switch self {
            case .clear: Operations.ClearProducts.id
            case .trigger: Operations.TriggerProducts.id
            case .running, .success, .failed: Operations.UpdateStates.id
            case .disable: Operations.DisableProducts.id
            case .pause: Operations.PausePlan.id
            case .unpause: Operations.UnpausePlan.id
            }
        }

        var needsProducts: Bool { self != .pause && self != .unpause }

        func command(_ ids: [UUID]) -> Command {
            switch self {
            case .clear: .clear(ids)
            case .trigger: .trigger(ids)
            case .running, .success, .failed: .update(ids.map { StateParam(id: $0, state: State(rawValue: rawValue)!) })
            case .disable: .disable(ids)
            case .pause: .pause
            case .unpause: .unpause
            }
        }

        func summary(_ count: Int) -> String {
            switch self {
            case .clear: "Clear \(count) product(s): they go back to waiting and run again when their parents allow."
            case .trigger: "Queue \(count) product(s) now; each will be handed to its platform."
            case .running, .success, .failed:
                "Set \(count) product(s) to \(rawValue). Their descendants that are not waiting reset to waiting."
            case .disable: "Disable \(count) product(s) for good: they will never run again."
            case .pause: "Pause the dataset: nothing new is queued or handed to a platform until it is unpaused."
            case .unpause: "Unpause the dataset: products whose parents succeeded are queued again."
            }
        }
    }

    func addManagement(to router: Router<BasicRequestContext>, maxBodyBytes: Int) {
        router.get("/login") { _, _ in
            let nonce = UUID().uuidString.lowercased()
            return html(
                render(LoginView(csrf: nonce, service: "", error: nil), "login"),
                headers: [.setCookie: session.cookie(WebSession.loginCookie, nonce, maxAge: 900)])
        }
        router.post("/login") { request, _ in
            let form = try await FormBody(request, upTo: maxBodyBytes)
            let nonce = WebSession.cookie(WebSession.loginCookie, in: request)
            guard let nonce, let sent = form["csrf"], sent == nonce else {
                return message(.forbidden, nil, "Form expired", "Reload the login page and try again.", back: "/login")
            }
            do {
                let login = try await session.authenticator.logIn(
                    service: form["service"] ?? "", key: form["key"] ?? "")
                return Response(
                    status: .seeOther,
                    headers: [
                        .location: "/",
                        .setCookie: session.sessionCookie(login.accessToken, maxAge: Int(Authenticator.tokenLifetime)),
                    ])
            } catch {
                let view = LoginView(
                    csrf: nonce, service: form["service"] ?? "", error: "Unknown service or wrong key.")
                return html(render(view, "login"), status: .unauthorized)
            }
        }
        router.post("/logout") { request, _ in
            let form = try await FormBody(request, upTo: maxBodyBytes)
            if let user = await session.user(request) {
                guard session.accepts(form["csrf"], for: user) else {
                    return message(.forbidden, nil, "Form expired", "Reload the page and try again.", back: "/")
                }
                // The token ends here, not only the cookie: a copy of it is refused too.
                try await session.authenticator.revoke(user.token)
            }
            return Response(
                status: .seeOther, headers: [.location: "/", .setCookie: session.sessionCookie("", maxAge: 0)])
        }
        router.post("/plan/:dataset_id/manage") { request, context in
            try await manage(request, context, maxBodyBytes: maxBodyBytes)
        }
    }

    private func manage(_ request: Request, _ context: BasicRequestContext, maxBodyBytes: Int) async throws -> Response
    {
        let plan = try await plan(context)
        let dataset = plan.dataset.id.lowercasedString
        let back = "/plan/\(dataset)"
        guard let user = await session.user(request) else {
            return message(
                .unauthorized, nil, "Log in first", "Managing plans needs a logged-in service.", back: back, login: true
            )
        }
        let userView = UserView(service: user.service, csrf: user.csrf)
        let form = try await FormBody(request, upTo: maxBodyBytes)
        guard session.accepts(form["csrf"], for: user) else {
            return message(
                .forbidden, userView, "Form expired", "The form was not sent from this session; reload the page.",
                back: back)
        }
        guard let action = form["action"].flatMap(Action.init(rawValue:)) else {
            return message(
                .badRequest, userView, "Unknown action", "The form asked for an action Fletcher does not know.",
                back: back)
        }
        let actor: String
        do throws(APIError) {
            guard case .role(let role) = try access.access(action.operationID) else {
                throw APIError.forbidden("The form's operation declares no role")
            }
            actor = try session.authenticator.authorize(.service(user.service), for: role)
        } catch {
            return message(.forbidden, userView, "Not allowed", error.detail, back: back)
        }
        let ids = form.all("ids").compactMap(UUID.init(uuidString:))
        if action.needsProducts, ids.isEmpty {
            return message(
                .badRequest, userView, "Nothing selected", "Select at least one product in the table.", back: back)
        }
        guard form["confirm"] == "yes" else {
            let byID = Dictionary(uniqueKeysWithValues: plan.dataProducts.map { ($0.id, $0) })
            let item = { (product: DataProduct) in ProductItem(product, datasetID: dataset) }
            let resets =
                action == .clear ? try await resetsOfClearing(ids, on: plan.dataset.id, by: actor).map(item) : []
            let view = ConfirmView(
                title: "Confirm", crumb: Crumb(url: back, label: "Plan"), user: userView,
                heading: "Confirm: \(action.rawValue)", summary: action.summary(ids.count), datasetID: dataset,
                action: action.rawValue, csrf: user.csrf, listed: ids.compactMap { byID[$0] }.map(item),
                resets: resets, hasResets: !resets.isEmpty)
            return html(render(view, "confirm"))
        }
        do {
            _ = try await orchestrator.execute(action.command(ids), on: plan.dataset.id, by: actor)
        } catch let error as CommandError {
            return message(HTTPResponse.Status(code: error.status), userView, "Not done", error.message, back: back)
        }
        return Response(status: .seeOther, headers: [.location: back])
    }

    /// The products a clear of `ids` would send back to `waiting` besides the listed ones, as the
    /// engine computes it (`docs/concepts.md` §3.4), in plan order.
    private func resetsOfClearing(_ ids: [UUID], on datasetID: UUID, by actor: String) async throws -> [DataProduct] {
        let listed = Set(ids)
        guard let preview = try? await orchestrator.preview(.clear(ids), on: datasetID, by: actor) else {
            return []  // the clear will be refused; the confirmed form shows why
        }
        return preview.delta.changedProducts.compactMap { position, product in
            let reset = product.state == .waiting && preview.before.products[position].state != .waiting
            return reset && !listed.contains(product.id) ? product : nil
        }
    }

    private func message(
        _ status: HTTPResponse.Status, _ user: UserView?, _ heading: String, _ text: String, back: String?,
        login: Bool = false
    ) -> Response {
        let view = MessageView(
            title: heading, user: user, heading: heading, message: text, back: back, login: login)
        return html(render(view, "message"), status: status)
    }
}
