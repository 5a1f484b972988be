import Foundation
import MSOptim
import MSTensor
import MSTestSupport
import XCTest

/// Replays the optimizer fixtures written by `tools/make_fixtures.py`: each case starts from the
/// stored parameters, applies the stored gradients at the stored learning rates for every step,
/// and must land on torch's parameters and state.
final class OptimizerFixtureTests: XCTestCase {
    func testSGDMatchesTorch() throws {
        try replayCases(of: "optim_sgd") { count, options in
            SGD(parameterCount: count, momentum: options.float("momentum"), dampening: options.float("dampening"),
                weightDecay: options.float("weight_decay"), nesterov: options["nesterov"] as? Bool ?? false)
        }
    }

    func testAdamMatchesTorch() throws {
        try replayCases(of: "optim_adam") { count, options in makeAdam(count, options, decoupled: false) }
    }

    func testAdamWMatchesTorch() throws {
        try replayCases(of: "optim_adamw") { count, options in makeAdam(count, options, decoupled: true) }
    }

    func testCosineScheduleMatchesTorch() throws {
        let fixture = try loadFixture("optim_cosine")
        let expected = try fixture.tensor("learning_rates")
        let schedule = CosineSchedule(baseLearningRate: fixture.meta.float("base_lr"),
                                      minimumLearningRate: fixture.meta.float("eta_min"),
                                      totalSteps: fixture.meta["total_steps"] as! Int)
        let computed = Tensor(shape: expected.shape, scalars: (0..<expected.count).map(schedule.learningRate(at:)))
        XCTAssertLessThanOrEqual(relativeError(computed, expected), 1e-6)
    }

    private func makeAdam(_ count: Int, _ options: [String: Any], decoupled: Bool) -> Adam {
        Adam(parameterCount: count, beta1: options.float("beta1"), beta2: options.float("beta2"),
             epsilon: options.float("epsilon"), weightDecay: options.float("weight_decay"),
             decoupledWeightDecay: decoupled)
    }

    /// Runs every case of fixture `name` through the optimizer `make` builds from its options.
    private func replayCases(of name: String, make: (Int, [String: Any]) -> any Optimizer) throws {
        let fixture = try loadFixture(name)
        let cases = try XCTUnwrap(fixture.meta["cases"] as? [String: [String: Any]], "\(name): no cases in meta")
        XCTAssertFalse(cases.isEmpty)
        for (name, options) in cases.sorted(by: { $0.key < $1.key }) {
            var parameters = try fixture.tensor("\(name).initial")
            let gradients = try fixture.tensor("\(name).gradients")
            let rates = try fixture.tensor("\(name).learning_rates").scalars
            let optimizer = make(parameters.count, options)
            for (step, rate) in rates.enumerated() {
                let gradient = gradients.batchSlice(step..<(step + 1))
                parameters.withUnsafeMutableBufferPointer { p in
                    gradient.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g, learningRate: rate) }
                }
            }
            XCTAssertEqual(optimizer.stepCount, rates.count)
            let expected = try fixture.tensor("\(name).final")
            XCTAssertLessThanOrEqual(relativeError(parameters, expected), 1e-6, "\(name): parameters")
            for (buffer, values) in optimizer.state {
                let torchState = try fixture.tensor("\(name).state.\(buffer)")
                XCTAssertLessThanOrEqual(relativeError(Tensor(shape: torchState.shape, scalars: values), torchState), 1e-6,
                                         "\(name): state \(buffer)")
            }
            XCTAssertEqual(Set(optimizer.state.keys), Set(fixture.tensors.keys.filter { $0.hasPrefix("\(name).state.") }
                .map { String($0.dropFirst("\(name).state.".count)) }), "\(name): state names")
        }
    }
}

func loadFixture(_ name: String) throws -> Fixture {
    let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                            "missing fixture \(name).json; run tools/make_fixtures.py")
    return try Fixture(contentsOf: url)
}

extension Dictionary where Key == String, Value == Any {
    /// The number stored under `key` as a Float (fixture hyperparameters are float32 values).
    func float(_ key: String) -> Float {
        Float((self[key] as? Double) ?? .nan)
    }
}
