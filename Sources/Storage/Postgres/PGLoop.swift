import CGlibc
import Foundation
import Synchronization

/// One thread that waits with poll(2) on the sockets of the PostgreSQL connections it owns and
/// runs their work as the sockets become ready, as the HTTP client drives curl's multi interface.
/// Under load one wake-up serves every connection that has news, instead of one blocked thread
/// per connection being woken for each of its round trips.
///
/// Everything a loop owns (its connections, their queries in flight) is touched only on its
/// thread: other threads hand it work with `execute`.
final class PGLoop: @unchecked Sendable {
    private struct Timer {
        let deadline: ContinuousClock.Instant
        let job: @Sendable () -> Void
    }

    /// The thread's name, as `top -H` shows it: at most 15 characters, or Linux ignores it.
    let name: String
    /// A pipe whose read end is polled with the sockets: a byte written wakes the loop.
    private let wakeDescriptor: Int32
    private let wakeWriter: Int32
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    /// Set by the first `wake` since the loop last woke: the ones after it need not write.
    private let wakePending = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    // Loop-confined.
    private var connections: [ObjectIdentifier: PGWireConnection] = [:]
    private var timers: [Timer] = []

    init(name: String) {
        self.name = name
        var ends: [Int32] = [0, 0]
        precondition(pipe(&ends) == 0, "pipe failed: \(errno)")
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        (wakeDescriptor, wakeWriter) = (ends[0], ends[1])
    }

    deinit {
        close(wakeDescriptor)
        close(wakeWriter)
    }

    func start() {
        // Named from inside, by pthreads: Foundation on Linux drops a name set before the thread
        // starts, and one set on `Thread.current` when the thread wins a race with its creator.
        Thread { [self] in
            fletcher_name_thread(name)
            run()
        }.start()
    }

    /// Ends the loop after the work already handed to it; its connections are closed.
    func stop() {
        stopped.store(true, ordering: .releasing)
        wake()
    }

    /// Runs `job` on the loop's thread, after the jobs handed over before it.
    func execute(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        wake()
    }

    /// Runs `job` on the loop's thread once `delay` has passed. Only from the loop's thread.
    func schedule(after delay: Duration, _ job: @escaping @Sendable () -> Void) {
        timers.append(Timer(deadline: .now + delay, job: job))
    }

    /// Only from the loop's thread.
    func register(_ connection: PGWireConnection) {
        connections[ObjectIdentifier(connection)] = connection
    }

    /// Only from the loop's thread.
    func unregister(_ connection: PGWireConnection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
    }

    private func wake() {
        // Under load jobs arrive faster than the loop goes round: one byte wakes it for all of them.
        guard !wakePending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)  // a full pipe already wakes the loop
    }

    private func run() {
        while !stopped.load(ordering: .acquiring) {
            let watched = connections.values.filter { $0.interest != 0 }
            var descriptors = [pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            descriptors += watched.map { pollfd(fd: $0.socket, events: $0.interest, revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), pollTimeout())
            if ready < 0 && errno != EINTR { fatalError("poll failed: \(errno)") }
            if descriptors[0].revents != 0 {
                var drained = [UInt8](repeating: 0, count: 256)
                while read(wakeDescriptor, &drained, drained.count) > 0 {}
                // After the drain (a byte written before it is gone, and with it the only wake-up
                // for jobs handed over until the next byte) and before the jobs are taken: a job
                // handed over after this writes a byte again.
                wakePending.store(false, ordering: .releasing)
            }
            for (index, connection) in watched.enumerated() where descriptors[index + 1].revents != 0 {
                connection.handle(events: descriptors[index + 1].revents)
            }
            for job in jobs.withLock({ jobs in
                defer { jobs.removeAll() }; return jobs
            }) { job() }
            runDueTimers()
            for connection in connections.values { connection.checkDeadline() }
        }
        for connection in connections.values { connection.close(because: .connectionLost("the store was closed")) }
        connections.removeAll()
    }

    /// Milliseconds until the next timer (or a connect deadline check), -1 for none.
    private func pollTimeout() -> Int32 {
        let connecting = connections.values.contains { $0.isConnecting }
        guard let next = timers.map(\.deadline).min() else { return connecting ? 100 : -1 }
        let milliseconds = max(0, (next - .now) / .milliseconds(1)).rounded(.up)
        return Int32(min(milliseconds, connecting ? 100 : 60_000))
    }

    private func runDueTimers() {
        guard !timers.isEmpty else { return }
        let now = ContinuousClock.now
        let due = timers.filter { $0.deadline <= now }
        timers.removeAll { $0.deadline <= now }
        for timer in due { timer.job() }
    }
}
