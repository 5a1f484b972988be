import Foundation
import MSTrain
import XCTest
@testable import mstrain_dist

/// `bench quality`'s sweep options, horizon, gain targets and comparisons.
final class BenchQualityPlanTests: XCTestCase {
    private let quick = QualityPreset.named("quick")!

    private func plan(sweep: Bool = true, batches: String? = nil, multiscaleBatches: String? = nil, rates: String? = nil,
                      epochs: Double? = nil, targets: String? = nil) throws -> QualityPlan {
        try QualityPlan(preset: quick, sweep: sweep, batches: batches, multiscaleBatches: multiscaleBatches, learningRates: rates,
                        epochs: epochs, targets: targets)
    }

    func testRateLabels() {
        XCTAssertEqual(QualityPlan.rateLabel(5e-4), "5e-4")
        XCTAssertEqual(QualityPlan.rateLabel(1e-3), "1e-3")
        XCTAssertEqual(QualityPlan.rateLabel(2e-3), "2e-3")
        XCTAssertEqual(QualityPlan.rateLabel(1.5e-3), "1.5e-3")
        XCTAssertEqual(QualityPlan.rateLabel(0.01), "1e-2")
        XCTAssertEqual(QualityPlan.rateLabel(3), "3e0")
    }

    func testSweepDefaultsAndRunNames() throws {
        let plan = try plan()
        XCTAssertEqual(plan.batches, [2, 4, 8, 16])
        XCTAssertEqual(plan.multiscaleBatches, [8])
        XCTAssertEqual(plan.learningRates, [5e-4, 1e-3, 2e-3])
        XCTAssertEqual(plan.targetPercents, [80, 90, 95, 99])
        let runs = plan.runs(of: [.single, .progressive])
        XCTAssertEqual(runs.count, 12 + 3)
        XCTAssertEqual(runs.first?.name, "single-b2-lr5e-4")
        XCTAssertEqual(runs[5].name, "single-b4-lr2e-3")
        XCTAssertEqual(runs.last?.name, "progressive-b8-lr2e-3")
        XCTAssertEqual(runs.last?.batch, 8)
    }

    func testWithoutSweepEveryModeRunsOnceUnderItsName() throws {
        let plan = try plan(sweep: false)
        XCTAssertEqual(plan.runs(of: QualityMode.allCases).map(\.name), QualityMode.allCases.map(\.rawValue))
        XCTAssertEqual(plan.runs(of: [.single]).first?.learningRate, 2e-3)
        XCTAssertThrowsError(try self.plan(sweep: false, batches: "2,4"))
        XCTAssertThrowsError(try self.plan(sweep: false, rates: "1e-3"))
    }

    func testListParsing() throws {
        XCTAssertEqual(try plan(batches: "4, 16", multiscaleBatches: "4,8", rates: "1e-3,3e-3").runs(of: [.single, .mgeRatio4]).map(\.name),
                       ["single-b4-lr1e-3", "single-b4-lr3e-3", "single-b16-lr1e-3", "single-b16-lr3e-3",
                        "mge-r4-b4-lr1e-3", "mge-r4-b4-lr3e-3", "mge-r4-b8-lr1e-3", "mge-r4-b8-lr3e-3"])
        XCTAssertEqual(try plan(targets: "99,50%,90").targetPercents, [50, 90, 99])
        for bad in ["0", "2,,4", "2,2", "x", ""] { XCTAssertThrowsError(try plan(batches: bad), bad) }
        for bad in ["0", "-1e-3", "nan", "1e-3,1e-3"] { XCTAssertThrowsError(try plan(rates: bad), bad) }
        for bad in ["0", "101", "80,80", "eighty"] { XCTAssertThrowsError(try plan(targets: bad), bad) }
        XCTAssertThrowsError(try plan(epochs: 0))
        XCTAssertThrowsError(try plan(epochs: -.infinity))
    }

    private func configuration(_ run: QualityRun, _ plan: QualityPlan) throws -> TrainingConfiguration {
        try quick.configuration(run, regime: .native, data: "data.h5", runDirectory: "bench/native/\(run.name)", plan: plan)
    }

    /// --restriction and --level-conditioning change the modes with coarse levels only, and
    /// name their runs apart; single-scale runs keep their names, so the variants share them.
    func testConditioningOverridesApplyToTheCoarseModesAndNameTheirRuns() throws {
        let plan = try plan(batches: "2", multiscaleBatches: "8", rates: "2e-3")
        let overrides = QualityOverrides(restriction: .average, levelConditioning: .restricted)
        let runs = plan.runs(of: [.single, .mgeRatio4]).map(overrides.named)
        XCTAssertEqual(runs.map(\.name), ["single-b2-lr2e-3", "mge-r4-b8-lr2e-3-average-restricted"])
        let configurations = try runs.map {
            try quick.configuration($0, regime: .native, data: "data.h5", runDirectory: "bench/native/\($0.name)", overrides: overrides,
                                    plan: plan)
        }
        XCTAssertEqual(configurations.map(\.restriction), [.inject, .average])
        XCTAssertEqual(configurations.map(\.levelConditioning), [.drawn, .restricted])
        XCTAssertEqual(QualityOverrides(levelConditioning: .restricted).named(plan.runs(of: [.mgeRatio4])[0]).name,
                       "mge-r4-b8-lr2e-3-inject-restricted", "the restriction not given is the default's")
    }

    func testWithoutHorizonEveryBatchSeesThePresetsSamples() throws {
        let plan = try plan()
        let runs = plan.runs(of: [.single])
        let small = try configuration(runs[0], plan), preset = try configuration(runs[6], plan)
        XCTAssertEqual(small.batch, 2)
        XCTAssertEqual(small.learningRate, 5e-4)
        XCTAssertEqual(small.iterations, 480)
        XCTAssertEqual(small.validateEvery, 40)
        XCTAssertEqual(preset.batch, 8)
        XCTAssertEqual(preset.iterations, quick.singleIterations)
        XCTAssertEqual(preset.validateEvery, quick.base.validateEvery)
        // The preset's run is the configuration the benchmark had before sweeps.
        var unswept = try configuration(try self.plan(sweep: false).runs(of: [.single])[0], try self.plan(sweep: false))
        unswept.runDirectory = preset.runDirectory
        unswept.learningRate = preset.learningRate
        XCTAssertEqual(try unswept.yaml(), try preset.yaml())
    }

    func testHorizonPlansTheSameWorkForEveryRun() throws {
        let plan = try plan(epochs: 10)
        let work = QualityHorizon.work(epochs: 10, trainCount: quick.trainCount)
        XCTAssertEqual(work, 5120)
        for run in plan.runs(of: [.single, .progressive, .fullMultiscaleAdaptive, .fullMultiscale, .mgeRatio2, .mgeRatio4, .mgeAdaptive]) {
            let c = try configuration(run, plan)
            let schedule = try c.schedule()
            // The closest to the budget: within half the work that one more step (or T) adds.
            XCTAssertEqual(schedule.totalWork, work, accuracy: 0.5 * schedule.totalWork / Double(c.effectiveIterations), run.name)
            let validations = Double(schedule.totalIterations) / Double(c.validateEvery)
            XCTAssertEqual(validations, Double(QualityPlan.horizonValidations), accuracy: 3, run.name)
            if c.mode == .multiscale { XCTAssertEqual(c.levelBatchesEvery, max(1, c.effectiveIterations / 8)) }
        }
        let single2 = try configuration(plan.runs(of: [.single])[0], plan)
        XCTAssertEqual(single2.iterations, 2560)
        XCTAssertEqual(single2.validateEvery, 64)
        let progressive = try configuration(plan.runs(of: [.progressive])[0], plan)
        // Stages of 2T steps of 16 samples at 16² (4 WU each) and T steps of 8 at 32²: 16 WU per T.
        XCTAssertEqual(progressive.iterations, 320)
        XCTAssertEqual(progressive.validateEvery, 24)
    }

    // MARK: Targets and comparisons

    private func point(_ cpu: Double, _ psnr: Double) -> QualityPoint {
        QualityPoint(step: Int(cpu), seconds: cpu * 1.1, cpuSeconds: cpu, workUnits: cpu * 10, psnr: psnr)
    }

    func testGainTargetsAndReaches() {
        let targets = GainTargets(inputPSNR: 14, referencePSNR: 16, referenceRun: "single", percents: [80, 90, 95, 99])
        XCTAssertEqual(targets.psnrs[0], 15.6, accuracy: 1e-12)
        XCTAssertEqual(targets.psnrs[3], 15.98, accuracy: 1e-12)
        let validations = [point(1, 15), point(2, 15.7), point(3, 15.5), point(4, 16)]
        let reach = TargetReach(psnr: 15.6, validations: validations)
        XCTAssertEqual(reach.cpuSeconds, 2)
        XCTAssertEqual(reach.workUnits, 20)
        XCTAssertEqual(reach.seconds!, 2.2, accuracy: 1e-12)
        XCTAssertFalse(TargetReach(psnr: 16.5, validations: validations).reached)
        XCTAssertEqual(TargetReach(psnr: 15.6, validations: validations).cpuSeconds, 2)
    }

    /// A run directory with a log of the given validations and a summary whose inputs score `input`.
    private func runDirectory(_ validations: [(cpu: Double, psnr: Double)], input: Double) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mstrain-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let lines = validations.enumerated().map { step, v in
            #"{"cumulativeWorkUnits":\#(Double(step + 1) * 8),"cpuSeconds":\#(v.cpu),"learningRate":0.001,"loss":0.1,"#
                + #""seconds":\#(v.cpu),"skipped":false,"stage":0,"step":\#(step),"terms":[{"fine":0.1,"level":0,"samples":8}],"#
                + #""validation":{"mse":0.01,"psnr":\#(v.psnr),"ssim":0.5},"workUnits":8}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path + "/log.jsonl", atomically: true, encoding: .utf8)
        let summary = #"{"mode":"single","steps":\#(validations.count),"skippedSteps":0,"workUnits":8,"seconds":1,"#
            + #""validation":{"mse":0.01,"psnr":\#(validations.last!.psnr),"ssim":0.5},"#
            + #""inputValidation":{"mse":0.04,"psnr":\#(input),"ssim":0.3}}"#
        try summary.write(toFile: path + "/summary.json", atomically: true, encoding: .utf8)
        return path
    }

    private func row(_ mode: QualityMode, batch: Int, _ validations: [(cpu: Double, psnr: Double)]) throws -> QualityRow {
        let run = QualityRun(mode: mode, batch: batch, learningRate: 1e-3, name: "\(mode.rawValue)-b\(batch)-lr1e-3")
        return try QualityRow(regime: "native", run: run, runDirectory: try runDirectory(validations, input: 14), trained: true)
    }

    func testComparisonAgainstTheFastestSingleScaleRun() throws {
        var rows = [
            try row(.progressive, batch: 8, [(1, 15.7), (2, 15.8), (3, 16.1)]),
            try row(.single, batch: 8, [(4, 15.0), (8, 15.7), (12, 16.0)]),
            try row(.single, batch: 2, [(2, 15.0), (5, 15.7), (10, 15.9)]),
            try row(.mgeRatio4, batch: 8, [(3, 14.5), (6, 14.8)]),
        ]
        XCTAssertEqual(rows[1].inputPSNR, 14)
        XCTAssertEqual(rows[1].steps, 3)
        XCTAssertEqual(rows[1].workUnits, 24)
        XCTAssertEqual(QualityComparison.referenceRun(rows)?.run, "single-b8-lr1e-3")
        let targets = try XCTUnwrap(GainTargets.of(rows, percents: [80, 99]))
        XCTAssertEqual(targets.referencePSNR, 16)
        XCTAssertEqual(targets.psnrs, [15.6, 15.98])
        for i in rows.indices { rows[i].reach(targets) }
        let comparisons = QualityComparison.compare(regime: "native", rows: rows, targets: targets)
        XCTAssertEqual(comparisons.map(\.percent), [80, 99])
        // Single-scale first; 80 %: batch 2 after 5 s beats batch 8 after 8 s; progressive after 1 s.
        XCTAssertEqual(comparisons[0].entries.map(\.mode), ["single", "progressive", "mge-r4"])
        XCTAssertEqual(comparisons[0].entries[0].run, "single-b2-lr1e-3")
        XCTAssertEqual(comparisons[0].entries[0].speedUp, 1)
        XCTAssertEqual(comparisons[0].entries[1].cpuSeconds, 1)
        XCTAssertEqual(comparisons[0].entries[1].speedUp, 5)
        XCTAssertNil(comparisons[0].entries[2].run)
        XCTAssertNil(comparisons[0].entries[2].speedUp)
        // 99 %: only batch 8 reaches 15.98 dB (after 12 s); progressive after 3 s.
        XCTAssertEqual(comparisons[1].entries[0].run, "single-b8-lr1e-3")
        XCTAssertEqual(comparisons[1].entries[1].speedUp, 4)
        // The chart's single-scale run reached both targets.
        XCTAssertEqual(QualityComparison.representative(of: "single", in: rows)?.run, "single-b8-lr1e-3")
        XCTAssertEqual(QualityComparison.representative(of: "mge-r4", in: rows)?.run, "mge-r4-b8-lr1e-3")

        let table = QualityTable(preset: "quick", command: "test", machine: "test", ranks: 1, settings: [], plan: "sweep",
                                 targets: ["native": 15.9], gainTargets: ["native": targets], rows: rows, comparisons: comparisons)
        let markdown = table.markdown
        XCTAssertTrue(markdown.contains("| regime | mode | batch | LR | steps | wall s | CPU s | WU | fine-mesh it. | MSE | PSNR dB | SSIM | "
                                        + "s to target | CPU s to target | WU to target | CPU s (WU) to 80 % | CPU s (WU) to 99 % |"))
        XCTAssertTrue(markdown.contains("| native 99 % | 15.98 | 12.0 (24), b8 lr1e-3 | 3.0 (24) ×4.00, b8 lr1e-3 | not reached |"),
                      markdown)
        let svg = table.chart("native").svg()
        XCTAssertEqual(svg.components(separatedBy: "class=\"series\"").count - 1, 5)
        XCTAssertTrue(svg.contains("single b8 lr1e-3"))
        XCTAssertTrue(svg.contains("targets 80/99 % of the gain"))
    }
}
