import Foundation
import MSTrain

/// What a report reads from one run directory: the log (required, with at least one
/// validation), and `config.yaml` and `summary.json` when present.
struct ReportedRun {
    let path: String
    let records: [StepRecord]
    /// The text of `config.yaml`, nil if absent.
    let configurationText: String?
    /// `summary.json`, nil if absent or unreadable (an unfinished run).
    let summary: TrainingSummary?

    var directory: RunDirectory { RunDirectory(unverifiedPath: path) }

    /// The records that carry validation metrics, in step order.
    var validations: [(record: StepRecord, metrics: ValidationMetrics)] {
        records.compactMap { record in record.validation.map { (record, $0) } }
    }

    /// `config.yaml` parsed, nil if absent or not a valid configuration.
    var configuration: TrainingConfiguration? {
        configurationText.flatMap { try? TrainingConfiguration.parse(yaml: $0, source: directory.file("config.yaml")) }
    }

    init(path: String) throws {
        self.path = path
        let directory = RunDirectory(unverifiedPath: path)
        records = try RunLogReader.read(directory.file("log.jsonl"))
        guard records.contains(where: { $0.validation != nil }) else { throw ReportError.noValidation(directory.file("log.jsonl")) }
        configurationText = try? String(contentsOfFile: directory.file("config.yaml"), encoding: .utf8)
        summary = FileManager.default.contents(atPath: directory.file("summary.json"))
            .flatMap { try? JSONDecoder.runFiles().decode(TrainingSummary.self, from: $0) }
    }

    /// Whether `path` holds a run's log.
    static func isRun(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("log.jsonl"))
    }
}

/// The x axes that training progress is plotted against.
enum ProgressAxis: CaseIterable {
    case step, workUnits, seconds

    var label: String {
        switch self {
        case .step: return "step"
        case .workUnits: return "work units (WU, cumulative)"
        case .seconds: return "training seconds"
        }
    }

    /// The title suffix of a chart against this axis.
    var against: String {
        switch self {
        case .step: return "against steps"
        case .workUnits: return "against work"
        case .seconds: return "against time"
        }
    }

    func value(_ record: StepRecord) -> Double {
        switch self {
        case .step: return Double(record.step)
        case .workUnits: return record.cumulativeWorkUnits
        case .seconds: return record.seconds
        }
    }
}

/// Report input that cannot be reported on.
enum ReportError: Error, CustomStringConvertible {
    case missingDirectory(String)
    case noRuns(String)
    case noValidation(String)
    case unwritable(String)

    var description: String {
        switch self {
        case .missingDirectory(let path):
            return "\(path): no such directory; give a run directory (train --run-directory) or a benchmark directory"
        case .noRuns(let path):
            return "\(path): has no log.jsonl and no run directories (with a log.jsonl) one or two levels below it; "
                + "give a directory written by `mstrain-dist train --run-directory` or `bench quality`"
        case .noValidation(let path):
            return "\(path): has no validation record (the run stopped before its first validation); "
                + "train it with a smaller --validate-every or let it finish"
        case .unwritable(let path):
            return "cannot write \(path): choose a writable --output path (check the directory and free space)"
        }
    }
}
