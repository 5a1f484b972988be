import Dispatch
import Foundation

/// Remembers that the process received SIGTERM or SIGUSR1 (Slurm sends one before a job's time
/// limit with `--signal`). The trainer folds the flag into its step allreduce, so all ranks
/// agree to stop at the same step boundary, write a checkpoint and exit with
/// `TrainingInterrupted.exitCode`.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requestedSignal: Int32?
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    /// Catches SIGTERM and SIGUSR1 from now on (instead of dying on them).
    public func install() {
        for number in [SIGTERM, SIGUSR1] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.request(signal: number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Marks a stop as requested (also usable without a signal, e.g. in tests).
    public func request(signal number: Int32) {
        lock.lock(); defer { lock.unlock() }
        requestedSignal = requestedSignal ?? number
    }

    /// Whether a stop was requested on this process.
    public var isRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return requestedSignal != nil
    }
}

/// The run stopped early on a signal after writing a checkpoint.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    /// The documented exit status of a run that checkpointed on a signal (EX_TEMPFAIL:
    /// "try again later"; resubmit with `--resume auto` to continue).
    public static let exitCode: Int32 = 75
    public let step: Int
    public let checkpoint: String

    public var description: String {
        "stopped on a signal before step \(step); checkpoint \(checkpoint). Continue with --resume auto"
    }
}
