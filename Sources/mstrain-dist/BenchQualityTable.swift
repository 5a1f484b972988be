import Foundation
import MSTrain

/// One row of the `bench quality` table, read back from a finished run directory.
struct QualityRow: Codable {
    var regime: String
    var mode: String
    var seconds: Double
    var cpuSeconds: Double
    var workUnits: Double
    /// Steps that evaluated the finest mesh (level 0).
    var fineIterations: Int
    var mse, psnr, ssim: Double
    /// The first validation at or above the regime's target PSNR: its seconds, CPU seconds and
    /// work units (nil when never reached).
    var targetSeconds, targetCPUSeconds, targetWorkUnits: Double?

    /// Reads `log.jsonl` and `summary.json` of `runDirectory`; the target is filled in later.
    init(regime: String, mode: String, runDirectory: String) throws {
        let records = try QualityRow.log(of: runDirectory)
        guard let last = records.last, let final = records.last(where: { $0.validation != nil })?.validation else {
            throw BenchQualityError.emptyRun(runDirectory)
        }
        self.regime = regime
        self.mode = mode
        seconds = last.seconds
        cpuSeconds = last.cpuSeconds ?? .nan
        workUnits = last.cumulativeWorkUnits
        fineIterations = records.filter { $0.terms.contains { $0.level == 0 } }.count
        (mse, psnr, ssim) = (final.mse, final.psnr, final.ssim)
    }

    /// Sets the target columns from the run's first validation with PSNR ≥ `target`.
    mutating func reach(_ target: Double, runDirectory: String) throws {
        let hit = try QualityRow.log(of: runDirectory).first { ($0.validation?.psnr ?? -.infinity) >= target }
        targetSeconds = hit?.seconds
        targetCPUSeconds = hit?.cpuSeconds
        targetWorkUnits = hit?.cumulativeWorkUnits
    }

    /// The step records of a run's `log.jsonl`.
    static func log(of runDirectory: String) throws -> [StepRecord] {
        let path = (runDirectory as NSString).appendingPathComponent("log.jsonl")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw BenchQualityError.emptyRun(runDirectory) }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try text.split(separator: "\n").map { try decoder.decode(StepRecord.self, from: Data($0.utf8)) }
    }
}

/// The whole table: rows, the target PSNR of each regime, and how they were made.
struct QualityTable: Codable {
    var preset: String
    var command: String
    var machine: String
    /// Per regime: the single-scale final PSNR minus 0.1 dB.
    var targets: [String: Double]
    var rows: [QualityRow]

    static let columns = ["regime", "mode", "wall s", "CPU s", "WU", "fine-mesh it.", "MSE", "PSNR dB", "SSIM",
                          "s to target", "CPU s to target", "WU to target"]

    /// The table in Markdown, with its header lines.
    var markdown: String {
        func number(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "not reached" }
        var lines = ["# bench quality, preset \(preset)", "", "Command: `\(command)`", "", "Machine: \(machine)", ""]
        for (regime, target) in targets.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "Target PSNR (%@): %.2f dB (single-scale final − 0.1 dB)", regime, target))
        }
        lines += ["", "| " + QualityTable.columns.joined(separator: " | ") + " |",
                  "|" + String(repeating: "---|", count: QualityTable.columns.count)]
        for r in rows {
            let cells = [r.regime, r.mode, String(format: "%.1f", r.seconds), String(format: "%.1f", r.cpuSeconds),
                         String(format: "%.0f", r.workUnits), "\(r.fineIterations)", String(format: "%.5f", r.mse),
                         String(format: "%.2f", r.psnr), String(format: "%.4f", r.ssim), number(r.targetSeconds, "%.1f"),
                         number(r.targetCPUSeconds, "%.1f"), number(r.targetWorkUnits, "%.0f")]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `table.md` and `table.json` into `directory`.
    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let run = try RunDirectory(path: directory)
        try run.write(String(decoding: try encoder.encode(self), as: UTF8.self), to: "table.json")
        try run.write(markdown, to: "table.md")
    }
}

enum BenchQualityError: Error, CustomStringConvertible {
    case emptyRun(String)
    case unknownName(option: String, value: String, known: [String])

    var description: String {
        switch self {
        case .emptyRun(let path): return "\(path): no log.jsonl with a validation; the run did not finish, run the benchmark again"
        case .unknownName(let option, let value, let known):
            return "\(option): unknown value '\(value)'; use one or more of \(known.joined(separator: ", ")), comma-separated"
        }
    }
}
