import Foundation
import MSMultiscale

/// One term's mean losses in a step.
public struct TermRecord: Codable, Equatable, Sendable {
    public var level: Int
    /// Mean loss of the term's samples at `level`.
    public var fine: Double
    /// Mean loss of the same samples at `level + 1` (corrections only).
    public var coarse: Double?
    public var samples: Int
}

/// One line of the run's `log.jsonl`.
public struct StepRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var stage: Int
    public var learningRate: Float
    /// Mean loss at the finest level of the step's first term.
    public var loss: Double
    public var terms: [TermRecord]
    public var workUnits: Double
    public var cumulativeWorkUnits: Double
    /// Wall-clock seconds since training started (set-up excluded).
    public var seconds: Double
    /// CPU seconds of the rank 0 process since training started (all its threads together).
    public var cpuSeconds: Double?
    public var skipped: Bool
    public var validation: ValidationMetrics?
}

/// Appends JSON lines to a file, flushing each line so that a crash loses nothing written.
public final class JSONLinesWriter {
    private let handle: FileHandle
    private let encoder: JSONEncoder

    /// Opens `path`, truncating it unless `append` (a resumed run continues its log).
    public init(path: String, append: Bool = false) throws {
        if !(append && FileManager.default.fileExists(atPath: path)) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw RunDirectoryError.unwritable(path) }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw RunDirectoryError.unwritable(path) }
        do { try handle.seekToEnd() } catch { throw RunDirectoryError.unwritable(path) }
        self.handle = handle
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    }

    public func append<T: Encodable>(_ record: T) throws {
        var data = try encoder.encode(record)
        data.append(0x0A)
        try handle.write(contentsOf: data)
    }

    deinit { try? handle.close() }
}

/// Reads a run's `log.jsonl`.
public enum RunLogReader {
    /// The records of the log at `path`, one per step in step order: when a step appears more
    /// than once (a run resumed from an earlier checkpoint repeats steps) the last one counts.
    /// Throws if the file cannot be read, has no record, or a line is not a step record.
    public static func read(_ path: String) throws -> [StepRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { throw RunLogError.unreadable(path) }
        let decoder = JSONDecoder.runFiles()
        var latest: [Int: StepRecord] = [:]
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            do {
                let record = try decoder.decode(StepRecord.self, from: Data(line))
                latest[record.step] = record
            } catch {
                throw RunLogError.malformed(file: path, line: index + 1)
            }
        }
        guard !latest.isEmpty else { throw RunLogError.empty(path) }
        return latest.keys.sorted().map { latest[$0]! }
    }
}

extension JSONDecoder {
    /// A decoder for the run directory's JSON files, which write non-finite numbers as the
    /// strings "inf", "-inf" and "nan".
    public static func runFiles() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

public enum RunLogError: Error, CustomStringConvertible, Equatable {
    case unreadable(String)
    case empty(String)
    case malformed(file: String, line: Int)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read \(path): check that the run directory holds a log.jsonl written by `mstrain-dist train`"
        case .empty(let path): return "\(path) has no step records: the run stopped before its first step; train it (again) first"
        case .malformed(let file, let line):
            return "\(file):\(line): not a step record (a truncated or foreign line); remove that line or train the run again"
        }
    }
}

/// The files of one run: `config.yaml`, `log.jsonl`, `summary.json`, `weights.h5`.
public struct RunDirectory: Sendable {
    public let path: String

    /// Creates the directory (and its parents) if needed.
    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw RunDirectoryError.notADirectory(path) }
        } else {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
            catch { throw RunDirectoryError.unwritable(path) }
        }
        guard FileManager.default.isWritableFile(atPath: path) else { throw RunDirectoryError.unwritable(path) }
    }

    /// The run directory of a rank that never writes (its existence is rank 0's business).
    public init(unverifiedPath path: String) { self.path = path }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes `text` to `name` atomically (temporary file, then rename).
    public func write(_ text: String, to name: String) throws {
        do { try text.write(toFile: file(name), atomically: true, encoding: .utf8) }
        catch { throw RunDirectoryError.unwritable(file(name)) }
    }
}

public enum RunDirectoryError: Error, CustomStringConvertible, Equatable {
    case notADirectory(String)
    case unwritable(String)

    public var description: String {
        switch self {
        case .notADirectory(let path): return "run directory \(path) exists and is not a directory: choose another --run-directory"
        case .unwritable(let path): return "cannot write \(path): check that the directory exists, is writable and has free space"
        }
    }
}
