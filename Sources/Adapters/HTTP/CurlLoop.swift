import CCurl
import CGlibc
import Foundation
import Synchronization

/// Drives every transfer of one client with libcurl's multi interface on one dedicated thread.
///
/// libcurl calls block, so they must stay off Swift's cooperative pool (`docs/architecture.md`).
/// One thread multiplexes any number of requests and keeps their connections for reuse.
final class CurlLoop: Sendable {
    private enum Operation {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
    }

    private struct Inbox {
        var operations: [Operation] = []
        var stopped = false
    }

    // Safety: `multi` is used by the loop thread, except `curl_multi_wakeup`, which libcurl
    // documents as callable from any thread.
    private nonisolated(unsafe) let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())

    init(maxConnectionsPerHost: Int) {
        CurlGlobal.initialize()
        multi = curl_multi_init()
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        // Named from inside, by pthreads: Foundation on Linux drops a name set before the thread
        // starts, and one set on `Thread.current` when the thread wins a race with its creator.
        Thread { [self] in
            fletcher_name_thread("fletcher.curl")
            run()
        }.start()
    }

    func submit(_ transfer: CurlTransfer) {
        let accepted = inbox.withLock { inbox in
            guard !inbox.stopped else { return false }
            inbox.operations.append(.add(transfer))
            return true
        }
        guard accepted else {
            transfer.continuation?.resume(throwing: HTTPClientError.shutDown)
            return
        }
        curl_multi_wakeup(multi)
    }

    func cancel(_ transfer: CurlTransfer) {
        inbox.withLock { $0.operations.append(.cancel(transfer)) }
        curl_multi_wakeup(multi)
    }

    /// Fails every pending request and ends the thread.
    func stop() {
        inbox.withLock { $0.stopped = true }
        curl_multi_wakeup(multi)
    }

    private func run() {
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        while true {
            let (operations, stopped) = inbox.withLock { inbox in
                defer { inbox.operations.removeAll() }
                return (inbox.operations, inbox.stopped)
            }
            for operation in operations {
                switch operation {
                case .add(let transfer):
                    if transfer.stage == .cancelledBeforeAdding {
                        transfer.continuation?.resume(throwing: CancellationError())
                    } else {
                        transfer.stage = .added
                        active[transfer.easy] = transfer
                        curl_multi_add_handle(multi, transfer.easy)
                    }
                case .cancel(let transfer):
                    if active.removeValue(forKey: transfer.easy) != nil {
                        curl_multi_remove_handle(multi, transfer.easy)
                        transfer.continuation?.resume(throwing: CancellationError())
                    } else if transfer.stage == .created {
                        transfer.stage = .cancelledBeforeAdding  // its add comes next: refuse it then
                    }
                // Otherwise it ended before its caller was cancelled: nothing is left to cancel.
                }
            }
            if stopped {
                for transfer in active.values {
                    curl_multi_remove_handle(multi, transfer.easy)
                    transfer.continuation?.resume(throwing: HTTPClientError.shutDown)
                }
                curl_multi_cleanup(multi)
                return
            }

            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                if let transfer = active.removeValue(forKey: easy) {
                    transfer.continuation?.resume(with: transfer.outcome(code))
                }
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }
}

enum CurlGlobal {
    private static let once: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()
    static func initialize() { _ = once }
}
