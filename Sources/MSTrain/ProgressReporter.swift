import Foundation

/// Progress output for long work. On a terminal one live line is redrawn in place; otherwise
/// (a log file, a batch job) a plain line is printed at most every `interval` seconds.
/// Under an MPI launcher standard output is a pseudo-terminal whatever mpirun's own output
/// is, so there the plain lines are used.
public final class ProgressReporter {
    public let isTerminal: Bool
    public let interval: Double
    private var lastPrint = -Double.infinity
    private var lineOpen = false
    private let quiet: Bool

    /// `quiet` silences everything (the non-printing ranks of a parallel run); `parallel` says
    /// that the process runs under an MPI launcher.
    public init(interval: Double = 10, quiet: Bool = false, parallel: Bool = false) {
        isTerminal = !parallel && isatty(STDOUT_FILENO) != 0
        self.interval = interval
        self.quiet = quiet
    }

    /// A message on its own line.
    public func log(_ message: String) {
        guard !quiet else { return }
        if lineOpen { print("") ; lineOpen = false }
        print(message)
        fflush(nil)
    }

    /// A progress update at `seconds` since the start; `force` prints it even between intervals.
    public func update(_ line: String, seconds: Double, force: Bool = false) {
        guard !quiet else { return }
        if isTerminal {
            print("\r\u{1B}[K" + line, terminator: "")
            lineOpen = true
            fflush(nil)
        } else if force || seconds - lastPrint >= interval {
            print(line)
            fflush(nil)
            lastPrint = seconds
        }
    }

    /// Ends a live line so that later output starts on a new line.
    public func finish() {
        if lineOpen && !quiet { print(""); lineOpen = false }
    }
}

/// `h:mm:ss` or `m:ss` for a duration in seconds.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite && seconds >= 0 else { return "--:--" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
