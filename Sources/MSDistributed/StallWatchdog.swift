import Foundation

/// Turns a hang into an error: while a collective is in progress a background thread checks
/// how long it has waited, and once that exceeds `timeout` it calls `onStall` with
///
///     stalled for S s in <collective> (step K); …
///
/// A collective waits for the slowest rank, so a rank that crashed, deadlocked or skipped a
/// collective would otherwise leave every other rank waiting forever (and a batch job
/// holding its nodes until the scheduler's time limit).
public final class StallWatchdog: @unchecked Sendable {
    /// Seconds a collective may wait.
    let timeout: Double
    private let onStall: @Sendable (String) -> Void
    private let lock = NSLock()
    // Guarded by `lock`.
    private var pending: (collective: String, step: Int, start: TimeInterval)?
    private var isStopped = false

    /// Starts the checking thread. `onStall` runs on that thread, at most once; it normally
    /// ends the process.
    public init(timeout: Double, onStall: @escaping @Sendable (String) -> Void) {
        precondition(timeout > 0, "StallWatchdog needs a positive timeout")
        self.timeout = timeout
        self.onStall = onStall
        let thread = Thread { [self] in watch() }
        thread.name = "stall watchdog"
        thread.start()
    }

    /// Marks the start of `collective` in optimizer step `step`.
    public func begin(_ collective: String, step: Int) {
        lock.withLock { pending = (collective, step, ProcessInfo.processInfo.systemUptime) }
    }

    /// Marks the end of the collective begun last.
    public func end() {
        lock.withLock { pending = nil }
    }

    /// Ends the checking thread (within one polling interval).
    public func stop() {
        lock.withLock { isStopped = true }
    }

    /// Polls four times per timeout (at most once a second, at least every 10 ms), so a
    /// stall is reported at most `timeout / 4` late.
    private func watch() {
        let interval = min(max(timeout / 4, 0.01), 1)
        while true {
            Thread.sleep(forTimeInterval: interval)
            switch check() {
            case .stopped: return
            case .waiting: continue
            case let .stalled(message):
                onStall(message)
                return
            }
        }
    }

    private enum Verdict { case stopped, waiting, stalled(String) }

    private func check() -> Verdict {
        lock.withLock {
            if isStopped { return .stopped }
            guard let pending else { return .waiting }
            let waited = ProcessInfo.processInfo.systemUptime - pending.start
            guard waited > timeout else { return .waiting }
            return .stalled("stalled for \(String(format: "%.1f", waited)) s in \(pending.collective) (step \(pending.step)); "
                + "another rank has failed or is not calling \(pending.collective). "
                + "\(EnvironmentVariable.stallTimeout.rawValue)=\(timeout) sets this limit.")
        }
    }
}
