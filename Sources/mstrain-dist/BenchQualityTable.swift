import Foundation
import MSTrain

/// One row of the `bench quality` table, read back from a finished run directory.
struct QualityRow: Codable {
    var regime: String
    var mode: String
    var seconds: Double
    /// CPU seconds of rank 0's process (all its threads), as its log records them.
    var cpuSeconds: Double
    /// With several ranks: the CPU seconds of every rank's process over the run, added up.
    var cpuSecondsAllRanks: Double?
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
    /// Processes that trained every mode together.
    var ranks: Int
    /// Per regime, a line on the samples, validation, width and spatial groups.
    var settings: [String]
    /// Per regime: the single-scale final PSNR minus 0.1 dB.
    var targets: [String: Double]
    var rows: [QualityRow]

    /// The columns; "CPU s, all ranks" only with several ranks.
    var columns: [String] {
        ["regime", "mode", "wall s", "CPU s"] + (ranks > 1 ? ["CPU s, all ranks"] : [])
            + ["WU", "fine-mesh it.", "MSE", "PSNR dB", "SSIM", "s to target", "CPU s to target", "WU to target"]
    }

    /// What the CPU-second columns count.
    var cpuNote: String {
        guard ranks > 1 else { return "CPU seconds: the process's, all its threads together." }
        return "CPU seconds: \"CPU s\" and \"CPU s to target\" are rank 0's process alone (all its threads), as its log "
            + "records them; \"CPU s, all ranks\" adds up the \(ranks) ranks' processes over each run (rows of runs not "
            + "rerun have none)."
    }

    /// The table in Markdown, with its header lines.
    var markdown: String {
        func number(_ value: Double?, _ format: String, _ missing: String = "not reached") -> String {
            value.map { String(format: format, $0) } ?? missing
        }
        var lines = ["# bench quality, preset \(preset)", "", "Command: `\(command)`", "",
                     "Machine: \(machine); \(ranks) rank(s)", ""]
        lines += settings.map { "- \($0)" } + (settings.isEmpty ? [] : [""])
        lines += [cpuNote, ""]
        for (regime, target) in targets.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "Target PSNR (%@): %.2f dB (single-scale final − 0.1 dB)", regime, target))
        }
        lines += ["", "| " + columns.joined(separator: " | ") + " |", "|" + String(repeating: "---|", count: columns.count)]
        for r in rows {
            let cells = [r.regime, r.mode, String(format: "%.1f", r.seconds), String(format: "%.1f", r.cpuSeconds)]
                + (ranks > 1 ? [number(r.cpuSecondsAllRanks, "%.1f", "–")] : [])
                + [String(format: "%.0f", r.workUnits), "\(r.fineIterations)", String(format: "%.5f", r.mse),
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
