import Foundation
import XCTest
import MSData
import MSMultiscale
import MSTestSupport
import MSTrain

final class AdaptiveTrainingTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "mstrain-adaptive-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try DeadLeaves(size: 16, channels: 3, seed: 3).writeDataset(to: directory + "/data.h5", counts: [.train: 12, .valid: 2])
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func configuration(_ mode: TrainingMode, run: String) -> TrainingConfiguration {
        var c = tinyTrainingConfiguration(mode, levels: 2, batch: 2, iterations: 4, runDirectory: directory + "/" + run)
        c.validateEvery = 2
        return c
    }

    func trainer(_ c: TrainingConfiguration) throws -> Trainer {
        try Trainer(configuration: c, dataPath: directory + "/data.h5", reporter: ProgressReporter(quiet: true))
    }

    /// A threshold no stage can meet ends every stage but the last after three validations; one
    /// that every stage meets keeps the scheduled lengths.
    func testAdaptiveStageSwitchEndsStagesEarly() throws {
        var c = configuration(.fullMultiscale, run: "switch")
        c.stageSwitch = .adaptive
        c.stageSwitchThreshold = .greatestFiniteMagnitude
        let eager = try trainer(c)
        XCTAssertEqual(eager.state.schedule.stages.map(\.iterations), [8, 4])
        let summary = try eager.run()
        XCTAssertEqual(eager.state.schedule.stages.map(\.iterations), [6, 4], "stage 0 ends at its third validation (step 5)")
        XCTAssertEqual(summary.steps, 10)
        XCTAssertEqual(summary.workUnits, eager.state.schedule.totalWork, accuracy: 1e-9)

        c.stageSwitchThreshold = -.greatestFiniteMagnitude
        c.runDirectory += "-never"
        let patient = try trainer(c)
        _ = try patient.run()
        XCTAssertEqual(patient.state.schedule.stages.map(\.iterations), [8, 4])
    }

    /// The decided stage lengths travel in the checkpoint: a run resumed after the switch
    /// continues bitwise like the uninterrupted one.
    func testAdaptiveScheduleResumesBitwise() throws {
        var c = configuration(.fullMultiscale, run: "resume")
        c.stageSwitch = .adaptive
        c.stageSwitchThreshold = .greatestFiniteMagnitude
        c.adaptiveLevelBatches = true
        c.levelBatchesEvery = 2
        c.levelBatchesSamples = 2
        c.learningRateSchedule = .holdThenCosine
        c.checkpointEvery = 7
        c.keepCheckpoints = 5
        let full = try trainer(c)
        _ = try full.run()
        let resumed = try trainer(c)
        try resumed.resume(from: directory + "/resume/" + CheckpointDirectory.fileName(step: 7))
        XCTAssertEqual(resumed.state.schedule.stages.map(\.iterations), [6, 4], "the decided stage end is restored")
        _ = try resumed.run()
        XCTAssertEqual(resumed.state.schedule, full.state.schedule)
        XCTAssertEqual(resumed.model.parameters.snapshotValues(), full.model.parameters.snapshotValues())
        XCTAssertEqual(resumed.state.progress.cumulativeWork, full.state.progress.cumulativeWork)
    }

    /// Adaptive level batches are those of `LevelBatchAllocator` for the variances measured
    /// with the current weights, keep the work per step, count the measurement's work, and are
    /// deterministic.
    func testAdaptiveLevelBatchesAreReallocatedDeterministically() throws {
        var c = configuration(.multiscale, run: "batches")
        c.levelRatio = 4
        c.batch = 4
        c.adaptiveLevelBatches = true
        c.levelBatchesEvery = 2
        c.levelBatchesSamples = 3
        let planned = try c.schedule().stages[0].plan
        let probe = try trainer(c)
        let measured = try probe.measureLevels(of: planned, samples: 3, firstStep: 1 << 40)
        let expected = LevelBatchAllocator.reallocate(planned, variances: measured.levels.map(\.variance))
        _ = try probe.step(0)
        XCTAssertEqual(probe.state.schedule.stages[0].plan, expected)
        XCTAssertEqual(expected.work, planned.work, accuracy: 0.5 * planned.terms.map(\.workPerSample).reduce(0, +))

        c.runDirectory += "-first"
        let first = try trainer(c)
        _ = try first.run()
        c.runDirectory += "-again"
        let second = try trainer(c)
        _ = try second.run()
        XCTAssertEqual(second.state.schedule, first.state.schedule)
        XCTAssertTrue(second.model.parameters.snapshotValues() == first.model.parameters.snapshotValues(), "runs differ")
        // 2 measurements (steps 0 and 2) of 3 samples per term: 3·(1 + 1/4 + 1/4) WU each.
        let measurement = 2 * 3 * (1.25 + 0.25)
        XCTAssertEqual(second.state.progress.cumulativeWork, 4 * planned.work + measurement, accuracy: 4 * 0.5 * 1.5 + 1e-9)
    }

    func testProgressiveRunsFullMultiscaleStagesWithoutCorrections() throws {
        let c = configuration(.progressive, run: "progressive")
        let run = try trainer(c)
        XCTAssertEqual(run.state.schedule.stages.map(\.iterations), [8, 4])
        XCTAssertEqual(run.state.schedule.stages.map(\.plan.terms.count), [1, 1])
        XCTAssertEqual(run.state.schedule.stages.map(\.plan.finestLevel), [1, 0])
        let summary = try run.run()
        XCTAssertEqual(summary.workUnits, 8 * 4.0 / 4 + 4 * 2.0, accuracy: 1e-12)
    }

    func testHoldThenCosineHoldsThePeakUntilTheLastStage() throws {
        var c = configuration(.fullMultiscale, run: "rate")
        c.learningRateSchedule = .holdThenCosine
        let run = try trainer(c)
        XCTAssertEqual((0..<8).map { run.learningRate(at: $0) }, Array(repeating: c.effectiveLearningRate, count: 8))
        XCTAssertEqual(run.learningRate(at: 8), c.effectiveLearningRate)
        XCTAssertLessThan(run.learningRate(at: 11), run.learningRate(at: 9))
        XCTAssertGreaterThan(run.learningRate(at: 11), c.minLearningRate)
    }

    func testOptionsThatDoNotApplyAreRefused() {
        var c = configuration(.single, run: "bad")
        c.stageSwitch = .adaptive
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("--stage-switch adaptive")) }
        c = configuration(.progressive, run: "bad")
        c.adaptiveLevelBatches = true
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("--level-batches adaptive")) }
    }
}
