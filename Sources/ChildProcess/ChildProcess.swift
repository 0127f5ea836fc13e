import CGlibc
import Foundation
import Glibc
import Synchronization

/// A program run as a child process with its standard streams on pipes, started by
/// `posix_spawn` with every other descriptor closed in the child.
///
/// Foundation's `Process` is not used: in this toolchain its `run()` lists `/proc/self/fd` with a
/// read past the end of a buffer, and now and then the whole process dies of it (seen in this
/// project's test suite, about one run in five; a defect fixed in Foundation after Swift 6.3.1).
/// Waiting blocks: call `wait` and `collect` from a thread of your own, never from Swift's
/// cooperative pool.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    /// The write end of the child's standard input.
    private let input: Mutex<Int32>
    /// The read ends of the child's standard output and standard error (-1 when merged).
    public let output: Int32
    public let errors: Int32
    private let status = Mutex<Int32?>(nil)

    /// Starts `executable` (a path, or a name looked up in `PATH`) with `arguments`. `environment`
    /// replaces this process's when given; `directory` is the child's working directory;
    /// `mergingErrors` sends standard error to the standard output pipe.
    public init(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        directory: String? = nil, mergingErrors: Bool = false
    ) throws(SpawnError) {
        let stdin = try Self.pipe()
        let stdout = try Self.pipe()
        let stderr = mergingErrors ? nil : try Self.pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin.read, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout.write, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr?.write ?? stdout.write, 2)
        fletcher_spawn_close_from(&actions, 3)
        if let directory { fletcher_spawn_chdir(&actions, directory) }

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } }
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp ?? [] { free(pointer) }
        }
        var child: pid_t = 0
        let result = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
            let spawn = { (env: UnsafePointer<UnsafeMutablePointer<CChar>?>) in
                executable.contains("/")
                    ? posix_spawn(&child, executable, &actions, nil, argvBuffer.baseAddress!, env)
                    : posix_spawnp(&child, executable, &actions, nil, argvBuffer.baseAddress!, env)
            }
            guard let envp else { return spawn(environ) }
            return (envp + [nil]).withUnsafeBufferPointer { spawn($0.baseAddress!) }
        }
        // The child's ends belong to the child now (or to nobody, if it did not start).
        for fd in [stdin.read, stdout.write, stderr?.write].compactMap({ $0 }) { close(fd) }
        guard result == 0 else {
            for fd in [stdin.write, stdout.read, stderr?.read].compactMap({ $0 }) { close(fd) }
            throw SpawnError(executable: executable, code: result)
        }
        pid = child
        input = Mutex(stdin.write)
        output = stdout.read
        errors = stderr?.read ?? -1
    }

    deinit {
        closeInput()
        close(output)
        if errors >= 0 { close(errors) }
    }

    /// Writes all of `bytes` to the child's standard input; false when the child stopped reading.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        input.withLock { fd in
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
    }

    /// Ends the child's standard input.
    public func closeInput() {
        input.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    public func kill(_ signal: Int32 = SIGKILL) {
        if status.withLock({ $0 }) == nil { _ = Glibc.kill(pid, signal) }
    }

    /// Waits for the child to end: its exit code, or 128 + the signal that ended it.
    @discardableResult
    public func wait() -> Int32 {
        if let known = status.withLock({ $0 }) { return known }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        return record(raw)
    }

    /// Waits for the child on a thread of its own and hands over its exit status, for async callers.
    public func exited() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.wait()) }.start()
        }
    }

    /// The exit status if the child has ended, without waiting.
    public var exitStatus: Int32? {
        if let known = status.withLock({ $0 }) { return known }
        var raw: Int32 = 0
        return waitpid(pid, &raw, WNOHANG) == pid ? record(raw) : nil
    }

    private func record(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7F
        let code = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        status.withLock { $0 = code }
        return code
    }

    /// Reads standard output and standard error until both close, or until `deadline` (then
    /// `finished` is false). Also stops once the child has ended and the pipes stay quiet: a
    /// grandchild may hold a copy of a pipe open.
    public func collect(until deadline: ContinuousClock.Instant) -> (output: [UInt8], errors: [UInt8], finished: Bool) {
        let fds = [output, errors]
        var data: [[UInt8]] = [[], []]
        var open = fds.map { $0 >= 0 }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while open.contains(true) {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return (data[0], data[1], false) }
            var polled = fds.indices.map { pollfd(fd: open[$0] ? fds[$0] : -1, events: Int16(POLLIN), revents: 0) }
            let slice = Int32(min(max(remaining / .milliseconds(1), 1), 50))
            let ready = poll(&polled, nfds_t(polled.count), slice)
            if ready == 0 {
                if exitStatus != nil { break }
                continue
            }
            if ready < 0 { continue }  // interrupted
            for index in fds.indices where open[index] && polled[index].revents != 0 {
                let count = read(fds[index], &buffer, buffer.count)
                if count > 0 {
                    data[index] += buffer[0..<count]
                } else if count == 0 || errno != EINTR {
                    open[index] = false
                }
            }
        }
        return (data[0], data[1], true)
    }

    private static func pipe() throws(SpawnError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard fletcher_pipe_cloexec(&fds) == 0 else { throw SpawnError(executable: "pipe", code: errno) }
        return (fds[0], fds[1])
    }
}

/// A program could not be started.
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public let executable: String
    public let code: Int32

    public var description: String { "cannot run \(executable): \(String(cString: strerror(code)))" }
}
