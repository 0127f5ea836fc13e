import FletcherCore
import Synchronization

/// Lets a caller wait for a read of the change log that starts after its call: such a read sees
/// every change committed before the call (a sequence number left as a gap is read as soon as its
/// transaction commits), so the feed has published them when the wait returns.
final class ChangeLogBarrier: Sendable {
    private struct State {
        var waiting: [CheckedContinuation<Void, Never>] = []
        var open = false
    }

    private let state = Mutex(State())
    private let wakeup: Wakeup<Void>

    init(wakeup: Wakeup<Void>) {
        self.wakeup = wakeup
    }

    /// Returns after the next read that starts after this call, or at once once the reader has
    /// stopped (the caller then works with what the feed has).
    func wait() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() } else { wakeup.signal() }
        }
    }

    /// Called as a read starts: the callers it returns are released when that read has ended.
    func readStarting() -> [CheckedContinuation<Void, Never>] {
        state.withLock { state in
            defer { state.waiting.removeAll() }
            return state.waiting
        }
    }

    /// The reader stops: releases every caller now and later.
    func open() {
        for waiter in state.withLock({ state in
            state.open = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }) { waiter.resume() }
    }
}
