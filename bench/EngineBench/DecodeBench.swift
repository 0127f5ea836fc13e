import FletcherCore
import Foundation

/// The body of a 50,000-product post (P11's plan: 100 columns, each product depending on the one
/// 100 places before it), decoded by Fletcher's reader (`JSONInput`) and by Foundation's
/// `JSONDecoder`, which the OpenAPI runtime would use, side by side.
struct DecodeMeasurement {
    let bytes: Int
    let oursMilliseconds: Double
    let foundationMilliseconds: Double
}

func postBody(products count: Int, columns: Int = 100) -> [UInt8] {
    let ids = (0..<count).map { _ in UUID().uuidString.lowercased() }
    var text = #"{"dataset": {"id": "\#(UUID().uuidString.lowercased())"}, "data_products": ["#
    for (index, id) in ids.enumerated() {
        if index > 0 { text += ", " }
        text +=
            #"{"id": "\#(id)", "compute": "cams", "name": "p\#(index)", "version": "1", "eager": true, "extra": {"column": \#(index % columns)}}"#
    }
    text += #"], "dependencies": ["#
    for index in columns..<count {
        if index > columns { text += ", " }
        text += #"{"parent_id": "\#(ids[index - columns])", "child_id": "\#(ids[index])"}"#
    }
    return Array((text + "]}").utf8)
}

func decodePostBody(products: Int, iterations: Int = 5) throws -> DecodeMeasurement {
    let body = postBody(products: products)
    let data = Data(body)
    var ours: [Double] = []
    var foundation: [Double] = []
    for _ in 0..<iterations {
        ours.append(try elapsedMicroseconds { _ = try JSONInput.decode(PlanParam.self, from: body) } / 1_000)
        foundation.append(try elapsedMicroseconds { _ = try JSONDecoder().decode(PlanParam.self, from: data) } / 1_000)
    }
    return DecodeMeasurement(
        bytes: body.count, oursMilliseconds: median(ours).median, foundationMilliseconds: median(foundation).median)
}
