import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Answers and fault handling shared by both simulators.
public enum SimulatorHTTP {
    public static func json(_ status: HTTPResponse.Status, _ body: JSONValue, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.jsonText)))
    }

    public static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        json(status, ["error_code": .string(code), "message": .string(message)])
    }

    /// The answer of a fault that stops the request before any work, or nil.
    public static func refusal(_ fault: SimulatorFault?) -> Response? {
        switch fault {
        case .serverError: error(.serviceUnavailable, "TEMPORARILY_UNAVAILABLE", "simulated outage")
        case .throttle(let seconds):
            error(.tooManyRequests, "REQUEST_LIMIT_EXCEEDED", "simulated throttling")
                .with(header: .retryAfter, String(seconds))
        case .garbage:
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "<html>surprise</html>")))
        case .badRequest(let message): error(.badRequest, "INVALID_PARAMETER_VALUE", message)
        case .timeout, .acceptThenFail, nil: nil
        }
    }

    /// The answer of a request that did its work: as is, or spoiled by the fault.
    public static func after(_ fault: SimulatorFault?, stallSeconds: Double, _ answer: Response) async -> Response {
        switch fault {
        case .timeout:
            try? await Task.sleep(for: .seconds(stallSeconds))
            return answer
        case .acceptThenFail: return error(.internalServerError, "INTERNAL_ERROR", "simulated failure after the work")
        default: return answer
        }
    }

    public static func body(_ request: Request) async throws -> JSONValue? {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        return try? JSONValue(jsonText: String(buffer: buffer))
    }

    public static func header(_ request: Request, _ name: String) -> String? {
        HTTPField.Name(name).flatMap { request.headers[$0] }
    }
}

extension Response {
    public func with(header name: HTTPField.Name, _ value: String) -> Response {
        var response = self
        response.headers[name] = value
        return response
    }
}
