import Foundation
import MSData
import MSReport
import MSTasks
import MSTensor
import MSTrain

/// The report page of one run: summary, training loss and validation PSNR against steps, work
/// and time, the loss terms per level, validation images, and the configuration.
enum RunReportPage {
    /// The page for `run`, with `imageCount` validation images (0: none).
    static func make(_ run: ReportedRun, imageCount: Int) -> HTMLPage {
        var page = HTMLPage(title: "mstrain run: \((run.path as NSString).lastPathComponent)")
        page.paragraph("Run directory \(run.path). Work units (WU): one forward and backward pass of one sample at the "
            + "finest mesh; a sample at level ℓ counts 4^−ℓ. Seconds are training time, set-up excluded.")
        page.table(header: ["run", "value"], rows: summaryRows(run))

        page.heading("Training loss")
        page.paragraph(lossExplanation(run))
        page.figureRow(ProgressAxis.allCases.map { lossChart(run, against: $0).svg() })

        page.heading("Validation")
        page.paragraph("PSNR of the model's restorations of the fixed validation images (higher is better); the dashed "
            + "line is the PSNR of the degraded inputs themselves, the level a useful model must beat.")
        page.figureRow(ProgressAxis.allCases.map { validationChart(run, against: $0).svg() })

        page.heading("Loss terms per level")
        addLevelTerms(run, to: &page)

        page.heading("Validation images")
        addImages(run, count: imageCount, to: &page)

        page.heading("Configuration")
        if let text = run.configurationText {
            page.paragraph("config.yaml (usable as --config):")
            page.preformatted(text)
        } else {
            page.paragraph("The run directory has no config.yaml.")
        }
        return page
    }

    private static func summaryRows(_ run: ReportedRun) -> [[HTMLPage.Cell]] {
        var rows: [[HTMLPage.Cell]] = []
        if let configuration = run.configuration {
            rows.append(["task, network", .text("\(configuration.task.rawValue), \(configuration.network.rawValue)")])
            rows.append(["mode, levels", .text("\(configuration.mode.rawValue), \(configuration.levelsUsed)")])
        }
        let last = run.records.last!
        rows.append(["steps logged", .text("\(run.records.count) (last step \(last.step))")])
        rows.append(["work (WU)", .text(String(format: "%.1f", last.cumulativeWorkUnits))])
        rows.append(["training seconds", .text(String(format: "%.1f", last.seconds))])
        let final = run.validations.last!
        rows.append([.text("validation at step \(final.record.step)"), .text(metricsText(final.metrics))])
        if let input = run.summary?.inputValidation { rows.append(["degraded inputs", .text(metricsText(input))]) }
        if run.summary == nil { rows.append(["summary.json", "absent or unreadable: the run has not finished"]) }
        return rows
    }

    private static func metricsText(_ metrics: ValidationMetrics) -> String {
        String(format: "PSNR %.2f dB, SSIM %.4f, MSE %.5f", metrics.psnr, metrics.ssim, metrics.mse)
    }

    /// Steps per point of the smoothed curves: about 50 points per curve.
    private static func smoothingWindow(_ run: ReportedRun) -> Int { max(1, run.records.count / 50) }

    private static func lossExplanation(_ run: ReportedRun) -> String {
        let window = smoothingWindow(run)
        var text = "The training loss is the mean squared error of the step's samples at the finest level it uses. "
        if Set(run.records.map(\.stage)).count > 1 {
            text += "Each Full-Multiscale stage is drawn in the colour of its finest level (as in the per-level figures "
                + "below): stages train on coarse meshes first, and the loss changes level (and so jumps) where a stage begins. "
        }
        if window > 1 { text += "Curves show the mean of the last \(window) steps. " }
        return text + "Skipped steps (non-finite loss) are left out."
    }

    /// The loss against `axis`, one series per stage.
    static func lossChart(_ run: ReportedRun, against axis: ProgressAxis) -> LineChart {
        var chart = LineChart(title: "Training loss \(axis.against)", x: .init(label: axis.label),
                              y: .init(label: "loss (MSE)", scale: .logarithmic))
        let window = smoothingWindow(run)
        for stage in Array(Set(run.records.map(\.stage))).sorted() {
            let records = run.records.filter { $0.stage == stage && !$0.skipped }
            let losses = movingAverage(records.map(\.loss), window: window)
            let level = records.first?.terms.first?.level ?? 0
            chart.series.append(.init(name: "stage \(stage + 1), level \(level)", points: zip(records, losses).map { (axis.value($0), $1) },
                                      color: levelColor(level)))
        }
        return chart
    }

    /// Validation PSNR against `axis`, with the degraded inputs' PSNR as a dashed line.
    static func validationChart(_ run: ReportedRun, against axis: ProgressAxis) -> LineChart {
        var chart = LineChart(title: "Validation PSNR \(axis.against)", x: .init(label: axis.label), y: .init(label: "PSNR (dB)"))
        chart.series.append(.init(name: "restored", points: run.validations.map { (axis.value($0.record), $0.metrics.psnr) },
                                  markers: true))
        if let input = run.summary?.inputValidation {
            let range = [axis.value(run.records.first!), axis.value(run.records.last!)]
            chart.series.append(.init(name: "degraded input", points: range.map { ($0, input.psnr) }, color: "#555555", style: .dashed))
        }
        return chart
    }

    private static func addLevelTerms(_ run: ReportedRun, to page: inout HTMLPage) {
        let levels = Set(run.records.flatMap { $0.terms.map(\.level) }).sorted()
        guard levels.count > 1 else {
            page.paragraph("The run trains on one level (level \(levels.first ?? 0)): its only loss term is the training loss above.")
            return
        }
        let window = smoothingWindow(run)
        page.paragraph("Each step sums one term per level ℓ (level 0 is the finest mesh). Left: the loss of term ℓ's samples "
            + "at level ℓ. Right: the size of each correction, |loss at ℓ − loss of the same samples restricted to ℓ+1|; "
            + "the multilevel estimate is cheap when these are small next to the loss itself."
            + (window > 1 ? " Means of the last \(window) steps." : ""))
        var fine = LineChart(title: "Loss per level against steps", x: .init(label: "step"),
                             y: .init(label: "loss (MSE)", scale: .logarithmic))
        var corrections = LineChart(title: "Correction size per level against steps", x: .init(label: "step"),
                                    y: .init(label: "|fine − coarse| loss", scale: .logarithmic))
        for level in levels {
            let color = levelColor(level)
            let terms = run.records.filter { !$0.skipped }.compactMap { record in
                record.terms.first { $0.level == level }.map { (step: Double(record.step), term: $0) }
            }
            fine.series.append(.init(name: "level \(level)", points: zip(terms, movingAverage(terms.map(\.term.fine), window: window))
                .map { ($0.step, $1) }, color: color))
            let corrected = terms.filter { $0.term.coarse != nil }
            if !corrected.isEmpty {
                let sizes = movingAverage(corrected.map { abs($0.term.fine - $0.term.coarse!) }, window: window)
                corrections.series.append(.init(name: "level \(level)−\(level + 1)", points: zip(corrected, sizes).map { ($0.step, $1) },
                                                color: color))
            }
        }
        page.figureRow([fine.svg()] + (corrections.series.isEmpty ? [] : [corrections.svg()]))
    }

    /// The colour of level `level` in every figure of the page.
    private static func levelColor(_ level: Int) -> String { LineChart.palette[level % LineChart.palette.count] }

    private static func addImages(_ run: ReportedRun, count: Int, to page: inout HTMLPage) {
        guard count > 0 else { return page.paragraph("No images were asked for (--images 0).") }
        let weights = run.directory.file("weights.h5")
        guard FileManager.default.fileExists(atPath: weights) else {
            return page.paragraph("No images: the run directory has no weights.h5 (the run has not finished).")
        }
        do {
            let restorations = try Restorations(weights: weights, data: nil, split: .valid, count: count, log: { print($0) })
            let (input, restored, target) = (restorations.batch.input, restorations.restored, restorations.batch.target)
            let inputPSNR = ImageMetrics.psnr(input, target), restoredPSNR = ImageMetrics.psnr(restored, target)
            let (inputImages, restoredImages, targetImages) = (ImageArray(trainingRange: input), ImageArray(trainingRange: restored), ImageArray(trainingRange: target))
            let rows = (0..<target.batch).map { index -> [ImageGrid.Cell] in
                let one = index..<index + 1
                return [.init(image: inputImages.slice(one), caption: String(format: "%.2f dB", inputPSNR[index])),
                        .init(image: restoredImages.slice(one), caption: String(format: "%.2f dB", restoredPSNR[index])),
                        .init(image: targetImages.slice(one), caption: "validation image \(index)")]
            }
            page.paragraph("The first \(target.batch) validation images of \(restorations.dataPath) with the validation's "
                + "fixed degradations, restored by weights.h5; captions give each image's PSNR against its target.")
            page.raw(try ImageGrid(columnTitles: ["degraded input", "restored", "target"], rows: rows,
                                   displayWidth: max(160, target.width)).html())
        } catch {
            page.paragraph("No images: \(error)")
        }
    }

    /// The trailing mean of up to `window` values ending at each index.
    static func movingAverage(_ values: [Double], window: Int) -> [Double] {
        var sum = 0.0
        return values.indices.map { index in
            sum += values[index]
            if index >= window { sum -= values[index - window] }
            return sum / Double(min(index + 1, window))
        }
    }
}
