import Foundation
import MSReport
import MSTrain

/// The report page of a benchmark directory: runs one or two levels below it
/// (`<regime>/<mode>/` as `bench quality` writes them, or `<run>/`), their validation PSNR
/// overlaid on one figure per regime against steps, work and time, the benchmark's table.md,
/// and a section per run.
enum BenchmarkReportPage {
    /// A run found below the benchmark directory.
    struct Entry {
        /// The regime (the first path component of a two-level run; "" for a one-level run).
        let regime: String
        /// The run's path relative to the benchmark directory.
        let relativePath: String
        /// The loaded run, or why it cannot be shown.
        let run: Result<ReportedRun, Error>
        var name: String { (relativePath as NSString).lastPathComponent }
        var anchor: String { "run-" + relativePath.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined() }
    }

    /// The runs one or two levels below `directory`, in path order.
    static func findRuns(in directory: String) -> [Entry] {
        func subdirectories(_ path: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().filter { name in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(name), isDirectory: &isDirectory)
                    && isDirectory.boolValue
            }
        }
        var entries: [Entry] = []
        for first in subdirectories(directory) {
            let firstPath = (directory as NSString).appendingPathComponent(first)
            if ReportedRun.isRun(firstPath) {
                entries.append(Entry(regime: "", relativePath: first, run: Result { try ReportedRun(path: firstPath) }))
                continue
            }
            for second in subdirectories(firstPath) {
                let secondPath = (firstPath as NSString).appendingPathComponent(second)
                guard ReportedRun.isRun(secondPath) else { continue }
                entries.append(Entry(regime: first, relativePath: first + "/" + second, run: Result { try ReportedRun(path: secondPath) }))
            }
        }
        return entries
    }

    static func make(directory: String, entries: [Entry]) -> HTMLPage {
        var page = HTMLPage(title: "mstrain benchmark: \((directory as NSString).lastPathComponent)")
        page.paragraph("Benchmark directory \(directory) with \(entries.count) runs. Each figure overlays the validation PSNR "
            + "of one regime's runs (higher is better) against steps, work units (WU: one forward and backward pass of one "
            + "sample at the finest mesh) and training seconds; the dashed line, where the runs share their validation "
            + "inputs, is the PSNR of the degraded inputs themselves.")
        let tablePath = (directory as NSString).appendingPathComponent("table.md")
        if let table = try? String(contentsOfFile: tablePath, encoding: .utf8) {
            page.heading("Results table")
            page.paragraph("table.md as the benchmark wrote it:")
            page.preformatted(table)
        }
        page.heading("Runs")
        page.table(header: ["run", "mode", "steps", "WU", "seconds", "final validation PSNR", "degraded input PSNR", "report"],
                   rows: entries.map { row($0, directory: directory) })

        for regime in orderedRegimes(entries) {
            let runs = entries.filter { $0.regime == regime }.compactMap { entry in (try? entry.run.get()).map { (entry, $0) } }
            guard !runs.isEmpty else { continue }
            page.heading(regime.isEmpty ? "Validation PSNR" : "Validation PSNR, regime \(regime)")
            page.figureRow(ProgressAxis.allCases.map { axis in
                var chart = LineChart(title: "Validation PSNR \(axis.against)", x: .init(label: axis.label), y: .init(label: "PSNR (dB)"))
                chart.series = runs.map { entry, run in
                    LineChart.Series(name: entry.name, points: run.validations.map { (axis.value($0.record), $0.metrics.psnr) }, markers: true)
                }
                if let input = commonInputPSNR(runs.map(\.1)) {
                    let range = runs.flatMap { [axis.value($0.1.records.first!), axis.value($0.1.records.last!)] }
                    chart.series.append(.init(name: "degraded input", points: [(range.min()!, input), (range.max()!, input)],
                                              color: "#555555", style: .dashed))
                }
                return chart.svg()
            })
        }

        for entry in entries {
            page.heading(entry.relativePath, level: 3, id: entry.anchor)
            switch entry.run {
            case .failure(let error):
                page.paragraph("Not shown: \(error)")
            case .success(let run):
                page.figureRow([RunReportPage.lossChart(run, against: .workUnits).svg()])
                if let text = run.configurationText {
                    page.raw("<details><summary>config.yaml</summary><pre>\(HTML.escape(text))</pre></details>")
                }
            }
        }
        return page
    }

    /// The degraded inputs' validation PSNR when every run reports the same (same data and
    /// seed); nil otherwise.
    private static func commonInputPSNR(_ runs: [ReportedRun]) -> Double? {
        let values = runs.map { $0.summary?.inputValidation.psnr }
        guard let first = values.first ?? nil, values.allSatisfy({ $0.map { abs($0 - first) < 1e-9 } ?? false }) else { return nil }
        return first
    }

    private static func orderedRegimes(_ entries: [Entry]) -> [String] {
        var seen: [String] = []
        for entry in entries where !seen.contains(entry.regime) { seen.append(entry.regime) }
        return seen
    }

    private static func row(_ entry: Entry, directory: String) -> [HTMLPage.Cell] {
        let name = HTMLPage.Cell.link(entry.relativePath, href: "#" + entry.anchor)
        guard case .success(let run) = entry.run else { return [name, "not shown (see its section)", "", "", "", "", "", ""] }
        let last = run.records.last!
        let reportPath = entry.relativePath + "/report.html"
        let report: HTMLPage.Cell = FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(reportPath))
            ? .link("report.html", href: reportPath)
            : .text("not written (mstrain-dist report \((directory as NSString).appendingPathComponent(entry.relativePath)))")
        return [name, .text(run.configuration?.mode.rawValue ?? "?"), .text("\(last.step + 1)"),
                .text(String(format: "%.1f", last.cumulativeWorkUnits)), .text(String(format: "%.1f", last.seconds)),
                .text(String(format: "%.2f dB", run.validations.last!.metrics.psnr)),
                .text(run.summary.map { String(format: "%.2f dB", $0.inputValidation.psnr) } ?? "?"), report]
    }
}
