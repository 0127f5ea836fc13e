import FletcherChildProcess
import Foundation

/// Hands what a child process writes to `received` as it arrives (a `FileHandle` readability
/// handler on the child's pipe), until the pipe's end (then `ended` runs) or until `received`
/// returns false.
///
/// The pipe's descriptor belongs to the `ChildProcess` and closes with it, and a read on a
/// descriptor closed under the handler is a crash (Foundation traps on `EBADF`). So a child that
/// has readers is let go through `reap`, which waits until they are done.
public final class OutputReader: Sendable {
    private let handle: FileHandle
    private let done = DispatchSemaphore(value: 0)

    public init(
        _ descriptor: Int32, ended: @escaping @Sendable () -> Void = {},
        _ received: @escaping @Sendable (Data) -> Bool
    ) {
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        let done = done
        handle.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { ended() }
            if data.isEmpty || !received(data) {
                handle.readabilityHandler = nil
                done.signal()
            }
        }
    }

    /// Blocks until the reader is done, at most `timeout`; then it reads no more.
    fileprivate func finish(within timeout: DispatchTimeInterval) {
        _ = done.wait(timeout: .now() + timeout)
        handle.readabilityHandler = nil
    }
}

/// Waits, on a thread of its own, for `process` to exit and for `readers` to see the end of its
/// output; only then is the process released, and its descriptors closed.
public func reap(_ process: ChildProcess, readers: [OutputReader]) {
    Thread {
        process.wait()
        for reader in readers { reader.finish(within: .seconds(10)) }
        withExtendedLifetime(process) {}
    }.start()
}
