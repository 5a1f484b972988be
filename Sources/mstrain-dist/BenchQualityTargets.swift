import Foundation

/// One validation of a run, as its `log.jsonl` records it.
struct QualityPoint: Codable, Equatable {
    var step: Int
    /// Wall-clock and CPU seconds of training (validations included) up to and including it.
    var seconds, cpuSeconds: Double
    var workUnits: Double
    var psnr: Double
}

/// The first validation of a run at or above a PSNR; the times are nil when none was.
struct TargetReach: Codable, Equatable {
    var psnr: Double
    var seconds, cpuSeconds, workUnits: Double?

    init(psnr: Double, validations: [QualityPoint]) {
        self.psnr = psnr
        let hit = validations.first { $0.psnr >= psnr }
        (seconds, cpuSeconds, workUnits) = (hit?.seconds, hit?.cpuSeconds, hit?.workUnits)
    }

    var reached: Bool { cpuSeconds != nil }
}

/// PSNR levels at fixed fractions of the gain a reference run made over the noisy inputs:
/// target(p) = input + p/100 · (reference − input).
struct GainTargets: Codable, Equatable {
    /// PSNR of the degraded validation inputs themselves.
    var inputPSNR: Double
    /// The reference run's final validation PSNR, and its name.
    var referencePSNR: Double
    var referenceRun: String
    var percents: [Double]

    var psnrs: [Double] { percents.map { psnr(percent: $0) } }

    func psnr(percent: Double) -> Double { inputPSNR + percent / 100 * (referencePSNR - inputPSNR) }

    /// The targets of a regime's rows: the reference is the single-scale run with the highest
    /// final PSNR (the longest-trained baseline the benchmark has); nil without a single-scale
    /// row or without the inputs' PSNR.
    static func of(_ rows: [QualityRow], percents: [Double]) -> GainTargets? {
        guard let reference = QualityComparison.referenceRun(rows), let input = reference.inputPSNR else { return nil }
        return GainTargets(inputPSNR: input, referencePSNR: reference.psnr, referenceRun: reference.run, percents: percents)
    }
}

/// Each mode's fastest run to each gain target against the fastest single-scale run.
struct QualityComparison: Codable, Equatable {
    struct Entry: Codable, Equatable {
        var mode: String
        /// The mode's run that reached the target in the fewest CPU seconds (nil: none did).
        var run: String?
        var cpuSeconds, workUnits: Double?
        /// The fastest single-scale run's CPU seconds over this run's (nil: either not reached).
        var speedUp: Double?
    }

    var regime: String
    var percent: Double
    var psnr: Double
    /// One entry per mode, in the rows' order (single-scale first when present).
    var entries: [Entry]

    /// The single-scale row with the highest final PSNR.
    static func referenceRun(_ rows: [QualityRow]) -> QualityRow? {
        rows.filter { $0.mode == QualityMode.single.rawValue && $0.psnr.isFinite }.max { $0.psnr < $1.psnr }
    }

    /// The comparisons of one regime's rows, whose `reaches` follow `targets.percents`.
    static func compare(regime: String, rows: [QualityRow], targets: GainTargets) -> [QualityComparison] {
        var modes: [String] = []
        for row in rows where !modes.contains(row.mode) { modes.append(row.mode) }
        if let index = modes.firstIndex(of: QualityMode.single.rawValue) { modes.insert(modes.remove(at: index), at: 0) }
        return targets.percents.indices.map { t in
            func fastest(_ mode: String) -> QualityRow? {
                rows.filter { $0.mode == mode && t < $0.reaches.count && $0.reaches[t].reached }
                    .min { $0.reaches[t].cpuSeconds! < $1.reaches[t].cpuSeconds! }
            }
            let single = fastest(QualityMode.single.rawValue)?.reaches[t].cpuSeconds
            let entries = modes.map { mode -> Entry in
                guard let row = fastest(mode) else { return Entry(mode: mode) }
                let reach = row.reaches[t]
                return Entry(mode: mode, run: row.run, cpuSeconds: reach.cpuSeconds, workUnits: reach.workUnits,
                             speedUp: single.map { $0 / max(reach.cpuSeconds!, 1e-9) })
            }
            return QualityComparison(regime: regime, percent: targets.percents[t], psnr: targets.psnrs[t], entries: entries)
        }
    }

    /// The run of `mode` drawn in the chart: the one that reached the most targets, the
    /// highest one soonest; without any target, the highest final PSNR.
    static func representative(of mode: String, in rows: [QualityRow]) -> QualityRow? {
        let candidates = rows.filter { $0.mode == mode }
        func key(_ row: QualityRow) -> (Int, Double, Double) {
            let reached = row.reaches.lastIndex(where: \.reached)
            return (reached.map { $0 + 1 } ?? 0, -(reached.map { row.reaches[$0].cpuSeconds! } ?? 0), row.psnr.isFinite ? row.psnr : -.infinity)
        }
        return candidates.max { key($0) < key($1) }
    }
}
