import Foundation
import MSData

/// The checkpoints of a run directory: `checkpoint-<step>.h5` files (step = the next step to
/// run, zero-padded to 8 digits) and a `latest` file naming the newest complete one. `latest`
/// is replaced (atomically) only after its checkpoint is fully written, so it never names a
/// partial file; older checkpoints beyond the newest `keep` are removed.
public struct CheckpointDirectory: Sendable {
    public let runDirectory: RunDirectory
    public let keep: Int

    public init(runDirectory: RunDirectory, keep: Int) {
        precondition(keep >= 1, "CheckpointDirectory keeps at least one checkpoint")
        self.runDirectory = runDirectory
        self.keep = keep
    }

    public static func fileName(step: Int) -> String { String(format: "checkpoint-%08d.h5", step) }

    /// Writes the checkpoint of `state`, then points `latest` at it, then prunes old ones and
    /// the partial files of writes that were killed (`.checkpoint-*.partial-PID` of another
    /// process: only one process writes a run directory's checkpoints). Returns the path.
    @discardableResult
    public func save(_ state: TrainingState, configuration: TrainingConfiguration) throws -> String {
        let name = CheckpointDirectory.fileName(step: state.progress.nextStep)
        let path = runDirectory.file(name)
        try Checkpoint.write(state, configuration: configuration, to: path)
        try AtomicOutput.write(to: runDirectory.file("latest")) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: Data((name + "\n").utf8)) else {
                throw DataError.cannotWrite(path: temporary, reason: "cannot create the file")
            }
        }
        for old in checkpointNames().dropLast(keep) { try? FileManager.default.removeItem(atPath: runDirectory.file(old)) }
        for partial in abandonedPartialNames() { try? FileManager.default.removeItem(atPath: runDirectory.file(partial)) }
        return path
    }

    /// Temporary checkpoint files (`AtomicOutput`'s `.checkpoint-<step>.h5.partial-PID`) of other processes.
    func abandonedPartialNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runDirectory.path)) ?? []
        let mine = ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        return names.filter { $0.hasPrefix(".checkpoint-") && $0.contains(".partial-") && !$0.hasSuffix(mine) }
    }

    /// Complete checkpoint file names, oldest first (partial files have other names).
    public func checkpointNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runDirectory.path)) ?? []
        return names.filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".h5") }.sorted()
    }

    /// `--resume auto`: restores the checkpoint `latest` names, or, if it is missing or
    /// unusable, the newest checkpoint that loads. Returns its path; nil when the run
    /// directory holds no checkpoint at all (a first start: nothing to resume). Throws
    /// `.noneFound` when checkpoints exist but none loads.
    public func resumeNewest(_ state: inout TrainingState, configuration: TrainingConfiguration,
                             log: (String) -> Void) throws -> String? {
        var candidates = checkpointNames().reversed().map { runDirectory.file($0) }
        let latest = runDirectory.file("latest")
        if candidates.isEmpty && !FileManager.default.fileExists(atPath: latest) { return nil }
        if let text = try? String(contentsOfFile: latest, encoding: .utf8) {
            let named = runDirectory.file(text.trimmingCharacters(in: .whitespacesAndNewlines))
            candidates.removeAll { $0 == named }
            candidates.insert(named, at: 0)
        }
        for path in candidates {
            do {
                try Checkpoint.read(into: &state, configuration: configuration, from: path)
                return path
            } catch let error as CheckpointError {
                if case .incompatible = error { throw error }
                log("skipping \(path): \(error)")
            }
        }
        throw CheckpointError.noneFound(directory: runDirectory.path)
    }
}
