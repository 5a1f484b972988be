import XCTest
import MSMultiscale

final class LevelBatchAllocatorTests: XCTestCase {
    /// Equal variances, costs 1, 1/4, 1/16 and 12 WU: weights 1, 2, 4, normaliser 1 + 0.5 + 0.25.
    func testClosedForm() {
        XCTAssertEqual(LevelBatchAllocator.batches(variances: [1, 1, 1], costs: [1, 0.25, 0.0625], work: 14), [8, 16, 32])
        // No positive variance: the work is spread evenly over the terms.
        XCTAssertEqual(LevelBatchAllocator.batches(variances: [0, 0], costs: [1, 0.25], work: 8), [4, 16])
    }

    func testSamplesMoveTowardALevelWhoseVarianceIsMadeLarger() {
        let plan = EstimatorPlan.multilevel(batches: [4, 16, 64])
        let even = LevelBatchAllocator.reallocate(plan, variances: [1, 1, 1])
        let louder = LevelBatchAllocator.reallocate(plan, variances: [1, 16, 1])
        let (a, b) = (even.terms.map(\.batchSize), louder.terms.map(\.batchSize))
        XCTAssertGreaterThan(b[1], a[1], "the louder level gets more samples")
        XCTAssertLessThan(b[0], a[0])
        XCTAssertLessThan(b[2], a[2])
        // The work per step stays that of the plan (up to rounding), and only batches change.
        for reallocated in [even, louder] {
            XCTAssertEqual(reallocated.work, plan.work, accuracy: 0.5 * reallocated.terms.map(\.workPerSample).reduce(0, +))
            XCTAssertEqual(reallocated.terms.map(\.level), plan.terms.map(\.level))
            XCTAssertEqual(reallocated.terms.map(\.isCorrection), plan.terms.map(\.isCorrection))
        }
    }

    /// The allocation minimises Σ V_ℓ/N_ℓ at fixed work: moving work between two levels makes it worse.
    func testAllocationMinimisesTheVarianceAtFixedWork() {
        let variances = [3.0, 0.5, 2.0], costs = [1.25, 0.3125, 0.0625]
        let work = 1000.0
        let weights = zip(variances, costs).map { ($0 / $1).squareRoot() }
        let normaliser = zip(weights, costs).reduce(0) { $0 + $1.0 * $1.1 }
        let optimal = weights.map { work * $0 / normaliser }
        func variance(_ n: [Double]) -> Double { zip(variances, n).reduce(0) { $0 + $1.0 / $1.1 } }
        for (i, j) in [(0, 1), (1, 2), (0, 2)] {
            for shift in [-5.0, 5.0] {
                var moved = optimal
                moved[i] += shift / costs[i]
                moved[j] -= shift / costs[j]
                XCTAssertGreaterThan(variance(moved), variance(optimal))
            }
        }
        let rounded = LevelBatchAllocator.batches(variances: variances, costs: costs, work: work)
        XCTAssertEqual(rounded, optimal.map { Int($0.rounded()) })
    }
}

final class StageSwitchRuleTests: XCTestCase {
    /// Stages of 40, 20, 10 steps; stage 0 costs 2 WU per step.
    let schedule = TrainingSchedule(stages: [
        Stage(plan: .singleScale(level: 2, batchSize: 32), iterations: 40),
        Stage(plan: .multilevel(finestLevel: 1, batches: [4, 4]), iterations: 20),
        Stage(plan: .multilevel(batches: [2, 2, 2]), iterations: 10),
    ])

    func testEndsAStageWhenTheGainPerWorkFallsBelowTheThreshold() {
        let rule = StageSwitchRule(thresholdPerKiloWork: 10)
        typealias P = StageSwitchRule.Point
        // 10 steps × 2 WU = 20 WU between validations: 0.3 dB is 15 dB per 1000 WU, 0.1 dB is 5.
        func points(_ psnr: [Double], from first: Int = 9) -> [P] { psnr.enumerated().map { P(step: first + 10 * $0, psnr: $1) } }
        XCTAssertFalse(rule.shouldEndStage(0, of: schedule, validations: points([15, 15.3, 15.6])))
        XCTAssertTrue(rule.shouldEndStage(0, of: schedule, validations: points([15, 15.1, 15.2])))
        XCTAssertTrue(rule.shouldEndStage(0, of: schedule, validations: points([15, 14, 14.1])))
        // One slow interval is not enough: the gain must stay low twice in a row.
        XCTAssertFalse(rule.shouldEndStage(0, of: schedule, validations: points([15, 15.1, 15.4])))
        XCTAssertFalse(rule.shouldEndStage(0, of: schedule, validations: points([15, 15.1])))
        // Only validations inside the stage count: the first one here belongs to stage 0.
        XCTAssertFalse(rule.shouldEndStage(1, of: schedule, validations: [P(step: 39, psnr: 15), P(step: 44, psnr: 15), P(step: 49, psnr: 15)]))
        XCTAssertTrue(rule.shouldEndStage(1, of: schedule, validations: [P(step: 39, psnr: 15), P(step: 44, psnr: 15),
                                                                          P(step: 49, psnr: 15), P(step: 54, psnr: 15)]))
        // The last stage never ends early.
        XCTAssertFalse(rule.shouldEndStage(2, of: schedule, validations: points([15, 10, 5], from: 61)))
    }

    func testEndStageShortensOnlyThatStage() {
        var shortened = schedule
        shortened.endStage(0, afterIterations: 20)
        XCTAssertEqual(shortened.stages.map(\.iterations), [20, 20, 10])
        XCTAssertEqual(shortened.firstStep(ofStage: 1), 20)
        XCTAssertEqual(shortened.stages.map(\.plan), schedule.stages.map(\.plan))
    }
}

final class ProgressiveScheduleTests: XCTestCase {
    func testProgressiveResizingKeepsTheStagesWithoutCorrections() {
        let fullMultiscale = TrainingSchedule.fullMultiscale(levels: 3, batchSize: 8, iterations: 10)
        let progressive = TrainingSchedule.progressiveResizing(fullMultiscale)
        XCTAssertEqual(progressive.stages.map(\.iterations), [40, 20, 10])
        XCTAssertEqual(progressive.stages.map(\.plan), [EstimatorPlan.singleScale(level: 2, batchSize: 32),
                                                        .singleScale(level: 1, batchSize: 16), .singleScale(level: 0, batchSize: 8)])
        // 40·32/16 + 20·16/4 + 10·8 WU.
        XCTAssertEqual(progressive.totalWork, 80 + 80 + 80, accuracy: 1e-12)
    }
}
