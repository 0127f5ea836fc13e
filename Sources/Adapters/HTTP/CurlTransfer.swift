import CCurl
import Foundation

/// One request in flight: its easy handle, the bytes received so far, and the continuation to
/// resume. Created by the caller, then touched only on the `CurlLoop` thread.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    private var requestHeaders: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    fileprivate var body: [UInt8] = []
    fileprivate var headerLines: [String] = []
    var continuation: CheckedContinuation<HTTPClientResponse, any Error>?
    /// Set for a streamed response: body bytes go here as they arrive instead of into `body`.
    var receive: (@Sendable (_ status: Int, _ chunk: [UInt8]) -> Void)?
    /// Where the loop is with this transfer, so a cancellation arriving before it was added, or
    /// after it ended, is told apart from one to act on.
    var stage = Stage.created

    enum Stage {
        case created, added, cancelledBeforeAdding
    }

    init(_ request: HTTPClientRequest, configuration: HTTPClientConfiguration) throws {
        guard let easy = curl_easy_init() else {
            throw HTTPClientError.transport(code: -1, message: "curl_easy_init failed")
        }
        self.easy = easy
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try configure(request, configuration)
    }

    deinit {
        curl_slist_free_all(requestHeaders)
        curl_easy_cleanup(easy)
        errorBuffer.deallocate()
    }

    private func configure(_ request: HTTPClientRequest, _ configuration: HTTPClientConfiguration) throws {
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_NOSIGNAL, 1)  // never raise SIGALRM in a multi-threaded process
        try set(CURLOPT_FOLLOWLOCATION, 0)
        try set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds(configuration.connectTimeout))
        try set(CURLOPT_TIMEOUT_MS, milliseconds(request.timeout ?? configuration.timeout))
        try set(CURLOPT_ACCEPT_ENCODING, "")  // offer every encoding libcurl can decode
        if let caFile = configuration.caFile { try set(CURLOPT_CAINFO, caFile) }
        if let certificate = configuration.clientCertificate { try set(CURLOPT_SSLCERT, certificate) }
        if let key = configuration.clientKey { try set(CURLOPT_SSLKEY, key) }

        let method = request.method.uppercased()
        if let body = request.body {
            try check(ccurl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            try body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies, so the bytes need not outlive this call.
                try check(
                    ccurl_setopt_pointer(
                        easy, CURLOPT_COPYPOSTFIELDS,
                        UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)))
            }
            if method != "POST" { try set(CURLOPT_CUSTOMREQUEST, method) }
        } else if method == "HEAD" {
            try set(CURLOPT_NOBODY, 1)
        } else if method != "GET" {
            try set(CURLOPT_CUSTOMREQUEST, method)
        }

        // An empty Expect stops libcurl from waiting for `100 Continue` on larger bodies.
        var headers = request.headers.map { "\($0.name): \($0.value)" } + ["Expect:"]
        if request.body != nil, !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.append("Content-Type:")  // no form-urlencoded default
        }
        for line in headers { requestHeaders = curl_slist_append(requestHeaders, line) }
        try check(ccurl_setopt_slist(easy, CURLOPT_HTTPHEADER, requestHeaders))

        let this = Unmanaged.passUnretained(self).toOpaque()
        try check(ccurl_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, receiveBody))
        try check(ccurl_setopt_pointer(easy, CURLOPT_WRITEDATA, this))
        try check(ccurl_setopt_write_callback(easy, CURLOPT_HEADERFUNCTION, receiveHeader))
        try check(ccurl_setopt_pointer(easy, CURLOPT_HEADERDATA, this))
        try check(ccurl_setopt_pointer(easy, CURLOPT_PRIVATE, this))
        try check(ccurl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
    }

    /// The response, or the error, once libcurl reports the transfer done.
    func outcome(_ code: CURLcode) -> Result<HTTPClientResponse, any Error> {
        guard code == CURLE_OK else { return .failure(error(code)) }
        var status = 0
        _ = ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        let headers = headerLines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return .success(HTTPClientResponse(status: status, headers: headers, body: body))
    }

    private func error(_ code: CURLcode) -> HTTPClientError {
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timedOut(message)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connectionFailed(message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE:
            return .tls(message)
        default: return .transport(code: Int(code.rawValue), message: message)
        }
    }

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(ccurl_setopt_long(easy, option, value))
    }

    private func set(_ option: CURLoption, _ value: String) throws {
        try check(ccurl_setopt_string(easy, option, value))  // libcurl copies strings it is given
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw HTTPClientError.transport(
                code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)))
        }
    }

    private func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    fileprivate static func from(_ pointer: UnsafeMutableRawPointer?) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(pointer!).takeUnretainedValue()
    }
}

private let receiveBody: curl_write_callback = { data, size, count, context in
    let length = size * count
    guard let data, length > 0 else { return length }
    let transfer = CurlTransfer.from(context)
    let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(data), count: length)
    if let receive = transfer.receive {
        var status = 0
        _ = ccurl_getinfo_long(transfer.easy, CURLINFO_RESPONSE_CODE, &status)
        receive(status, Array(bytes))
    } else {
        transfer.body.append(contentsOf: bytes)
    }
    return length
}

private let receiveHeader: curl_write_callback = { data, size, count, context in
    let length = size * count
    guard let data, length > 0 else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: UnsafeRawPointer(data), count: length), as: UTF8.self)
        .trimmingCharacters(in: .newlines)
    let transfer = CurlTransfer.from(context)
    // A status line starts a new header block (after `100 Continue`, say): keep only the last.
    if line.hasPrefix("HTTP/") {
        transfer.headerLines.removeAll()
    } else if !line.isEmpty {
        transfer.headerLines.append(line)
    }
    return length
}
