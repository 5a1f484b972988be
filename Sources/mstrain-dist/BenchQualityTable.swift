import Foundation
import MSTrain

/// One row of the `bench quality` table, read back from a finished run directory.
struct QualityRow: Codable {
    var regime: String
    var mode: String
    /// The run directory's name under <regime>/ (the mode's name outside a sweep).
    var run: String
    /// The benchmark's batch knob of the run (`QualityRun.batch`) and its learning rate.
    var batch: Int
    var learningRate: Double
    /// Steps run (adaptive stage ends may stop a staged run before its planned steps).
    var steps: Int
    /// Whether this invocation trained the run (false: read back from an earlier one).
    var trained: Bool
    var seconds: Double
    /// CPU seconds of rank 0's process (all its threads), as its log records them.
    var cpuSeconds: Double
    /// With several ranks: the CPU seconds of every rank's process over the run, added up.
    var cpuSecondsAllRanks: Double?
    var workUnits: Double
    /// Steps that evaluated the finest mesh (level 0).
    var fineIterations: Int
    var mse, psnr, ssim: Double
    /// PSNR of the degraded validation inputs (from summary.json; nil when absent).
    var inputPSNR: Double?
    /// The first validation at or above the regime's target PSNR: its seconds, CPU seconds and
    /// work units (nil when never reached).
    var targetSeconds, targetCPUSeconds, targetWorkUnits: Double?
    /// The first validations at or above the regime's gain targets, in their order.
    var reaches: [TargetReach] = []
    /// Every validation of the run.
    var validations: [QualityPoint]

    /// Reads `log.jsonl` and `summary.json` of `runDirectory`, the run of `run`; the targets
    /// are filled in later.
    init(regime: String, run: QualityRun, runDirectory: String, trained: Bool) throws {
        let records = try QualityRow.log(of: runDirectory)
        guard let last = records.last, let final = records.last(where: { $0.validation != nil })?.validation else {
            throw BenchQualityError.emptyRun(runDirectory)
        }
        self.regime = regime
        mode = run.mode.rawValue
        self.run = run.name
        batch = run.batch
        learningRate = Double(run.learningRate)
        steps = records.count
        self.trained = trained
        seconds = last.seconds
        cpuSeconds = last.cpuSeconds ?? .nan
        workUnits = last.cumulativeWorkUnits
        fineIterations = records.filter { $0.terms.contains { $0.level == 0 } }.count
        (mse, psnr, ssim) = (final.mse, final.psnr, final.ssim)
        validations = records.compactMap { record in
            record.validation.map { QualityPoint(step: record.step, seconds: record.seconds, cpuSeconds: record.cpuSeconds ?? .nan,
                                                 workUnits: record.cumulativeWorkUnits, psnr: $0.psnr) }
        }
        let summaryPath = (runDirectory as NSString).appendingPathComponent("summary.json")
        if let data = FileManager.default.contents(atPath: summaryPath),
           let summary = try? JSONDecoder.runFiles().decode(TrainingSummary.self, from: data) {
            inputPSNR = summary.inputValidation.psnr
        }
    }

    /// Sets the target columns from the run's first validation with PSNR ≥ `target`.
    mutating func reach(_ target: Double) {
        let hit = TargetReach(psnr: target, validations: validations)
        (targetSeconds, targetCPUSeconds, targetWorkUnits) = (hit.seconds, hit.cpuSeconds, hit.workUnits)
    }

    /// Sets `reaches` from the gain targets.
    mutating func reach(_ targets: GainTargets) {
        reaches = targets.psnrs.map { TargetReach(psnr: $0, validations: validations) }
    }

    /// The step records of a run's `log.jsonl` (a resumed run's repeated steps once).
    static func log(of runDirectory: String) throws -> [StepRecord] {
        let path = (runDirectory as NSString).appendingPathComponent("log.jsonl")
        do { return try RunLogReader.read(path) } catch { throw BenchQualityError.emptyRun(runDirectory) }
    }
}

/// The whole table: rows, the targets of each regime, the comparisons against the fastest
/// single-scale runs, and how they were made.
struct QualityTable: Codable {
    var preset: String
    var command: String
    var machine: String
    /// Processes that trained every mode together.
    var ranks: Int
    /// Per regime, a line on the samples, validation, width and spatial groups.
    var settings: [String]
    /// What runs and how long (`QualityPlan`), in words.
    var plan: String
    /// Per regime: the best single-scale final PSNR minus 0.1 dB.
    var targets: [String: Double]
    /// Per regime: the targets at fractions of the best single-scale run's gain.
    var gainTargets: [String: GainTargets]
    var rows: [QualityRow]
    /// Per regime and gain target: each mode's fastest run against single-scale's.
    var comparisons: [QualityComparison]

    /// The gain targets' percentages (the same in every regime).
    var percents: [Double] { gainTargets.values.first?.percents ?? [] }

    /// The columns; "CPU s, all ranks" only with several ranks.
    var columns: [String] {
        ["regime", "mode", "batch", "LR", "steps", "wall s", "CPU s"] + (ranks > 1 ? ["CPU s, all ranks"] : [])
            + ["WU", "fine-mesh it.", "MSE", "PSNR dB", "SSIM", "s to target", "CPU s to target", "WU to target"]
            + percents.map { "CPU s (WU) to \(QualityTable.percentText($0))" }
    }

    /// What the CPU-second columns count.
    var cpuNote: String {
        guard ranks > 1 else { return "CPU seconds: the process's, all its threads together." }
        return "CPU seconds: \"CPU s\" and \"CPU s to target\" are rank 0's process alone (all its threads), as its log "
            + "records them; \"CPU s, all ranks\" adds up the \(ranks) ranks' processes over each run (rows of runs not "
            + "rerun have none)."
    }

    static func percentText(_ percent: Double) -> String { String(format: "%g %%", percent) }

    /// The SVG file of `regime`'s chart, next to table.md.
    static func chartFile(_ regime: String) -> String { "psnr-cpu-\(regime).svg" }

    /// The table in Markdown, with its header lines, the comparison table and the charts' files.
    var markdown: String {
        func number(_ value: Double?, _ format: String, _ missing: String = "not reached") -> String {
            value.map { String(format: format, $0) } ?? missing
        }
        var lines = ["# bench quality, preset \(preset)", "", "Command: `\(command)`", "",
                     "Machine: \(machine); \(ranks) rank(s)", ""]
        lines += settings.map { "- \($0)" } + ["- \(plan)", ""]
        lines += [cpuNote, ""]
        for (regime, target) in targets.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "Target PSNR (%@): %.2f dB (best single-scale final − 0.1 dB)", regime, target))
        }
        for (regime, gain) in gainTargets.sorted(by: { $0.key < $1.key }) {
            let levels = zip(gain.percents, gain.psnrs).map { String(format: "%@ %.2f dB", QualityTable.percentText($0), $1) }
            lines.append(String(format: "Gain targets (%@): noisy inputs %.2f dB, %@ final %.2f dB (gain %.2f dB); ", regime,
                                gain.inputPSNR, gain.referenceRun, gain.referencePSNR, gain.referencePSNR - gain.inputPSNR)
                         + levels.joined(separator: ", ")
                         + (gain.referencePSNR > gain.inputPSNR ? "" : " (no single-scale run beat the noisy inputs: these targets measure nothing)"))
        }
        lines += ["", "| " + columns.joined(separator: " | ") + " |", "|" + String(repeating: "---|", count: columns.count)]
        for r in rows {
            let cells = [r.regime, r.mode + (r.trained ? "" : " †"), "\(r.batch)", QualityPlan.rateLabel(Float(r.learningRate)),
                         "\(r.steps)", String(format: "%.1f", r.seconds), String(format: "%.1f", r.cpuSeconds)]
                + (ranks > 1 ? [number(r.cpuSecondsAllRanks, "%.1f", "–")] : [])
                + [String(format: "%.0f", r.workUnits), "\(r.fineIterations)", String(format: "%.5f", r.mse),
                   String(format: "%.2f", r.psnr), String(format: "%.4f", r.ssim), number(r.targetSeconds, "%.1f"),
                   number(r.targetCPUSeconds, "%.1f"), number(r.targetWorkUnits, "%.0f")]
                + percents.indices.map { t in
                    guard t < r.reaches.count, let cpu = r.reaches[t].cpuSeconds else { return "not reached" }
                    return String(format: "%.1f (%.0f)", cpu, r.reaches[t].workUnits ?? .nan)
                }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        if rows.contains(where: { !$0.trained }) { lines += ["", "† read back from an earlier run of the benchmark, not trained now."] }
        lines += comparisonMarkdown
        return lines.joined(separator: "\n") + "\n"
    }

    /// The comparison table: per regime and gain target, each mode's fastest run.
    private var comparisonMarkdown: [String] {
        guard !comparisons.isEmpty else { return [] }
        var modes: [String] = []
        for entry in comparisons.flatMap(\.entries) where !modes.contains(entry.mode) { modes.append(entry.mode) }
        let several = Set(rows.map { "\($0.regime)/\($0.mode)" }).count < rows.count
        var lines = ["", "## Fastest run of each mode to each gain target", "",
                     "CPU seconds (WU) of each mode's fastest run to the target"
                        + (several ? " (the run's batch and learning rate after it)" : "")
                        + ", and the fastest single-scale run's CPU seconds over them (×).", "",
                     "| regime, target | PSNR dB | " + modes.joined(separator: " | ") + " |",
                     "|" + String(repeating: "---|", count: modes.count + 2)]
        for comparison in comparisons {
            let cells = modes.map { mode -> String in
                guard let entry = comparison.entries.first(where: { $0.mode == mode }) else { return "–" }
                guard let cpu = entry.cpuSeconds, let run = entry.run else { return "not reached" }
                var cell = String(format: "%.1f (%.0f)", cpu, entry.workUnits ?? .nan)
                if mode != QualityMode.single.rawValue, let speedUp = entry.speedUp { cell += String(format: " ×%.2f", speedUp) }
                if several, let row = rows.first(where: { $0.regime == comparison.regime && $0.run == run }) {
                    cell += ", b\(row.batch) lr\(QualityPlan.rateLabel(Float(row.learningRate)))"
                }
                return cell
            }
            lines.append("| \(comparison.regime) \(QualityTable.percentText(comparison.percent)) | "
                         + String(format: "%.2f", comparison.psnr) + " | " + cells.joined(separator: " | ") + " |")
        }
        let charts = gainTargets.keys.sorted().map { QualityTable.chartFile($0) }
        lines += ["", "Validation PSNR against CPU seconds, each mode's run that reached the most targets soonest: "
                  + charts.joined(separator: ", ") + "."]
        return lines
    }

    /// Writes `table.md`, `table.json` and one chart per regime with gain targets into `directory`.
    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let run = try RunDirectory(path: directory)
        try run.write(String(decoding: try encoder.encode(self), as: UTF8.self), to: "table.json")
        try run.write(markdown, to: "table.md")
        for regime in gainTargets.keys.sorted() {
            try run.write(chart(regime).svg() + "\n", to: QualityTable.chartFile(regime))
        }
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
