import Synchronization

/// Wakes one waiting loop early (new outbox work, a finished call) instead of letting it sleep
/// out its polling interval, and says why. Signals sent while nobody waits are kept, merged, for
/// the next wait.
public final class Wakeup<Reason: Sendable>: Sendable {
    private struct State {
        var pending: Reason?
        var waiter: CheckedContinuation<Reason, Never>?
    }

    private let state = Mutex(State())
    /// Why a wait ended without a signal (timeout, cancellation).
    private let unsignalled: Reason
    private let merge: @Sendable (Reason, Reason) -> Reason

    public init(unsignalled: Reason, merge: @escaping @Sendable (_ earlier: Reason, _ later: Reason) -> Reason) {
        self.unsignalled = unsignalled
        self.merge = merge
    }

    public func signal(_ reason: Reason) {
        let waiter = state.withLock { state -> CheckedContinuation<Reason, Never>? in
            guard let waiter = state.waiter else {
                state.pending = state.pending.map { merge($0, reason) } ?? reason
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: reason)
    }

    /// Returns the signals' reason at the first signal (at once if some came since the last
    /// wait), or `unsignalled` after `timeout` or when the task is cancelled.
    @discardableResult
    public func wait(upTo timeout: Duration) async -> Reason {
        let unsignalled = self.unsignalled
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.signal(unsignalled)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Reason? in
                    if Task.isCancelled { return unsignalled }
                    if let pending = state.pending {
                        state.pending = nil
                        return pending
                    }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            signal(unsignalled)
        }
    }
}

extension Wakeup where Reason == Void {
    /// A wake-up that only wakes.
    public convenience init() {
        self.init(unsignalled: (), merge: { _, _ in })
    }

    public func signal() {
        signal(())
    }
}
