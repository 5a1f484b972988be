import Foundation
import MSKernels
import MSTensor
import MSTestSupport
import XCTest

/// The kernels against PyTorch: fixtures written by `tools/make_fixtures.py` hold inputs, a
/// random upstream gradient `u`, torch's output and torch's gradients of sum(output · u)
/// (computed in float64). Every output and gradient must agree to 1e-4 relative to the
/// largest entry of torch's tensor. Backwards that accumulate start from zero.
final class TorchFixtureTests: XCTestCase {
    private let tolerance: Float = 1e-4

    /// Every case on each convolution path (`Conv2d.Algorithm`).
    func testConv2dMatchesTorch() throws {
        let fixture = try load("conv2d")
        for algorithm in Conv2d.Algorithm.allCases {
            for (name, options) in try cases(of: fixture) {
                let tensor = { (entry: String) in try fixture.tensor("\(name).\(entry)") }
                let input = try tensor("input"), weight = try tensor("weight"), bias = try tensor("bias")
                let geometry = Conv2dGeometry(inputShape: input.shape, outputChannels: weight.shape[0],
                                              kernelSize: try integer(options, "kernel_size"),
                                              stride: try integer(options, "stride"), padding: try integer(options, "padding"))
                let output = weight.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        Conv2d.forward(input, weight: w, bias: b, geometry: geometry, algorithm: algorithm)
                    }
                }
                let label = "\(name) \(algorithm)"
                try expect(output, matches: tensor("output"), "\(label) output")

                var weightGradient = Tensor(shape: weight.shape), biasGradient = Tensor(shape: bias.shape)
                let upstream = try tensor("upstream")
                let inputGradient = weight.withUnsafeBufferPointer { w in
                    weightGradient.withUnsafeMutableBufferPointer { dw in
                        biasGradient.withUnsafeMutableBufferPointer { db in
                            Conv2d.backward(outputGradient: upstream, input: input, weight: w, geometry: geometry,
                                            weightGradient: dw, biasGradient: db, algorithm: algorithm)
                        }
                    }
                }
                try expect(XCTUnwrap(inputGradient), matches: tensor("input_grad"), "\(label) input gradient")
                try expect(weightGradient, matches: tensor("weight_grad"), "\(label) weight gradient")
                try expect(biasGradient, matches: tensor("bias_grad"), "\(label) bias gradient")
            }
        }
    }

    func testGroupNormMatchesTorch() throws {
        let fixture = try load("groupnorm")
        for (name, options) in try cases(of: fixture) {
            let tensor = { (entry: String) in try fixture.tensor("\(name).\(entry)") }
            let input = try tensor("input"), gamma = try tensor("weight"), beta = try tensor("bias")
            let groups = try integer(options, "groups")
            let epsilon = try XCTUnwrap(options["epsilon"] as? Double)
            let (output, statistics) = gamma.withUnsafeBufferPointer { g in
                beta.withUnsafeBufferPointer { b in
                    GroupNorm.forward(input, groups: groups, gamma: g, beta: b, epsilon: Float(epsilon))
                }
            }
            try expect(output, matches: tensor("output"), "\(name) output")

            var gammaGradient = Tensor(shape: gamma.shape), betaGradient = Tensor(shape: beta.shape)
            let upstream = try tensor("upstream")
            let inputGradient = gamma.withUnsafeBufferPointer { g in
                gammaGradient.withUnsafeMutableBufferPointer { dg in
                    betaGradient.withUnsafeMutableBufferPointer { db in
                        GroupNorm.backward(outputGradient: upstream, input: input, statistics: statistics, groups: groups,
                                           gamma: g, gammaGradient: dg, betaGradient: db)
                    }
                }
            }
            try expect(inputGradient, matches: tensor("input_grad"), "\(name) input gradient")
            try expect(gammaGradient, matches: tensor("weight_grad"), "\(name) weight gradient")
            try expect(betaGradient, matches: tensor("bias_grad"), "\(name) bias gradient")
        }
    }

    func testAttentionMatchesTorch() throws {
        let fixture = try load("attention")
        let query = try fixture.tensor("query"), key = try fixture.tensor("key"), value = try fixture.tensor("value")
        let (output, probabilities) = Attention.forward(query: query, key: key, value: value)
        try expect(output, matches: fixture.tensor("output"), "attention output")

        let upstream = try fixture.tensor("upstream")
        let gradients = Attention.backward(outputGradient: upstream, query: query, key: key, value: value,
                                           probabilities: probabilities)
        try expect(gradients.query, matches: fixture.tensor("query_grad"), "attention query gradient")
        try expect(gradients.key, matches: fixture.tensor("key_grad"), "attention key gradient")
        try expect(gradients.value, matches: fixture.tensor("value_grad"), "attention value gradient")
    }

    func testBilinearUpsamplingMatchesTorch() throws {
        let fixture = try load("bilinear")
        try expect(Resample.upsampleBilinear(fixture.tensor("input")), matches: fixture.tensor("output"), "bilinear output")
        try expect(Resample.upsampleBilinearBackward(fixture.tensor("upstream")), matches: fixture.tensor("input_grad"),
                   "bilinear input gradient")
    }

    // MARK: - Helpers

    private func load(_ name: String) throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                                "missing fixture \(name).json; run tools/make_fixtures.py")
        return try Fixture(contentsOf: url)
    }

    /// The fixture's cases (meta["cases"]) with their options, in name order.
    private func cases(of fixture: Fixture) throws -> [(name: String, options: [String: Any])] {
        let cases = try XCTUnwrap(fixture.meta["cases"] as? [String: [String: Any]], "fixture has no cases in meta")
        XCTAssertFalse(cases.isEmpty)
        return cases.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private func integer(_ options: [String: Any], _ key: String) throws -> Int {
        try XCTUnwrap(options[key] as? Int, "case option \(key) missing")
    }

    private func expect(_ computed: Tensor, matches expected: Tensor, _ what: String) {
        XCTAssertEqual(computed.shape, expected.shape, what)
        guard computed.shape == expected.shape else { return }
        XCTAssertLessThanOrEqual(relativeError(computed, expected), tolerance, what)
    }
}
