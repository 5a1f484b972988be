import MSOptim
import XCTest

/// Checkpoint behaviour: a restored optimizer continues exactly as if never interrupted, and a
/// state that does not fit is refused.
final class OptimizerStateTests: XCTestCase {
    private let count = 37
    private let steps = 10

    /// Deterministic gradients for step `step`.
    private func gradient(_ step: Int) -> [Float] {
        (0..<count).map { Float(sin(Double($0 * 7 + step * 13))) }
    }

    private func run(_ optimizer: any Optimizer, _ parameters: inout [Float], steps range: Range<Int>) {
        for step in range {
            let g = gradient(step)
            parameters.withUnsafeMutableBufferPointer { p in
                g.withUnsafeBufferPointer { optimizer.step(parameters: p, gradients: $0, learningRate: 0.01 * Float(step + 1)) }
            }
        }
    }

    private let makers: [(String, (Int) -> any Optimizer)] = [
        ("sgd", { SGD(parameterCount: $0, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3) }),
        ("nesterov", { SGD(parameterCount: $0, momentum: 0.9, nesterov: true) }),
        ("adam", { Adam(parameterCount: $0, weightDecay: 1e-2) }),
        ("adamw", { Adam(parameterCount: $0, decoupledWeightDecay: true) }),
    ]

    func testRestoredStateContinuesIdentically() throws {
        for (name, make) in makers {
            var straight = (0..<count).map { Float($0) / 10 - 1 }
            var resumed = straight
            run(make(count), &straight, steps: 0..<steps)

            let first = make(count)
            run(first, &resumed, steps: 0..<4)
            let second = make(count)
            try second.restore(state: first.state, stepCount: first.stepCount)
            XCTAssertEqual(second.stepCount, 4)
            XCTAssertEqual(second.state, first.state)
            run(second, &resumed, steps: 4..<steps)
            XCTAssertEqual(resumed, straight, name)
        }
    }

    func testMismatchedStateThrows() {
        let adam = Adam(parameterCount: count)
        let good = adam.state
        XCTAssertThrowsError(try adam.restore(state: ["exp_avg": good["exp_avg"]!], stepCount: 1)) { error in
            XCTAssertEqual(error as? OptimizerError, .stateNames(expected: ["exp_avg", "exp_avg_sq"], found: ["exp_avg"]))
        }
        XCTAssertThrowsError(try adam.restore(state: ["exp_avg": good["exp_avg"]!, "exp_avg_sq": [0]], stepCount: 1)) { error in
            XCTAssertEqual(error as? OptimizerError, .stateSize(name: "exp_avg_sq", expected: count, found: 1))
        }
        XCTAssertThrowsError(try adam.restore(state: good, stepCount: -1))
        XCTAssertThrowsError(try SGD(parameterCount: count).restore(state: SGD(parameterCount: count, momentum: 0.9).state, stepCount: 3))
        XCTAssertThrowsError(try SGD(parameterCount: count, momentum: 0.9).restore(state: [:], stepCount: 3))
        XCTAssertNoThrow(try adam.restore(state: good, stepCount: 2))
    }

    func testFactoryUsesTorchDefaults() throws {
        let adamw = try XCTUnwrap(OptimizerKind.adamw.make(parameterCount: 4) as? Adam)
        XCTAssertTrue(adamw.decoupledWeightDecay)
        XCTAssertEqual(adamw.weightDecay, 1e-2)
        XCTAssertEqual(Adam(parameterCount: 4, decoupledWeightDecay: true).weightDecay, 1e-2)
        XCTAssertEqual(try XCTUnwrap(OptimizerKind.adam.make(parameterCount: 4) as? Adam).weightDecay, 0)
        let sgd = try XCTUnwrap(OptimizerKind.sgd.make(parameterCount: 4, momentum: 0.9) as? SGD)
        XCTAssertEqual(sgd.momentum, 0.9)
        XCTAssertEqual(Set(sgd.state.keys), ["momentum_buffer"])
        XCTAssertEqual(OptimizerKind(rawValue: "adamw"), .adamw)
    }

    func testCosineWarmupAndClamp() {
        let schedule = CosineSchedule(baseLearningRate: 0.1, minimumLearningRate: 0.001, totalSteps: 14, warmupSteps: 4)
        XCTAssertEqual(schedule.learningRate(at: 0), 0.025, accuracy: 1e-8)
        XCTAssertEqual(schedule.learningRate(at: 3), 0.1, accuracy: 1e-8)
        XCTAssertEqual(schedule.learningRate(at: 4), 0.1, accuracy: 1e-8)
        XCTAssertEqual(schedule.learningRate(at: 9), 0.0505, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(at: 14), 0.001, accuracy: 1e-8)
        XCTAssertEqual(schedule.learningRate(at: 100), 0.001, accuracy: 1e-8)
    }
}
