import Foundation
import MSReport

extension QualityTable {
    /// Validation PSNR against CPU seconds in `regime` (logarithmic time axis): one line per
    /// mode, its run that reached the most gain targets soonest
    /// (`QualityComparison.representative`), the targets as dashed grey lines and the noisy
    /// inputs' PSNR as a dashed black one.
    func chart(_ regime: String) -> LineChart {
        var chart = LineChart(title: "Validation PSNR against CPU seconds (\(regime))", x: .init(label: "CPU seconds", scale: .logarithmic),
                              y: .init(label: "PSNR (dB)"))
        chart.width = 760
        chart.height = 460
        let regimeRows = rows.filter { $0.regime == regime }
        var modes: [String] = []
        for row in regimeRows where !modes.contains(row.mode) { modes.append(row.mode) }
        let several = Set(regimeRows.map(\.mode)).count < regimeRows.count
        for mode in modes {
            guard let row = QualityComparison.representative(of: mode, in: regimeRows) else { continue }
            let name = several ? "\(mode) b\(row.batch) lr\(QualityPlan.rateLabel(Float(row.learningRate)))" : mode
            chart.series.append(.init(name: name, points: row.validations.map { ($0.cpuSeconds, $0.psnr) }))
        }
        if let gain = gainTargets[regime] {
            let times = chart.series.flatMap { $0.points.map(\.x) }.filter { $0.isFinite && $0 > 0 }
            if let first = times.min(), let last = times.max() {
                // One series, broken between the levels by non-finite points.
                let points = gain.psnrs.flatMap { [(first, $0), (last, $0), (Double.nan, $0)] }
                let name = "targets " + gain.percents.map { String(format: "%g", $0) }.joined(separator: "/") + " % of the gain"
                chart.series.append(.init(name: name, points: points.map { (x: $0.0, y: $0.1) }, color: "#888888", style: .dashed))
                chart.series.append(.init(name: "noisy inputs", points: [(first, gain.inputPSNR), (last, gain.inputPSNR)],
                                          color: "#222222", style: .dashed))
            }
        }
        return chart
    }
}
