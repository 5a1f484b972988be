import MSKernels
import MSTensor
import XCTest

/// `GroupNorm` against `GroupNormReference`, and the reference against central differences.
final class GroupNormTests: XCTestCase {
    /// `[N, C, H, W]` and groups: odd sizes, batch 1 and 3, LayerNorm (one group), groups shorter
    /// than one vector, and groups longer than one summation block with a ragged tail. (Groups of
    /// one or two elements are left out: there x̂ = 0 or ±1 whatever x is, dL/dx is pure rounding
    /// noise, and a relative comparison means nothing.)
    static let cases: [(shape: [Int], groups: Int)] = [
        ([1, 6, 5, 7], 3), ([3, 4, 3, 5], 2), ([3, 8, 4, 4], 1), ([1, 5, 9, 3], 5),
        ([3, 6, 1, 3], 3), ([1, 4, 33, 35], 2), ([3, 3, 7, 9], 1),
    ]

    func testForwardAndBackwardMatchReference() { checkAgainstReference(splitGroups: false) }

    /// The split form (sums reduced through a closure, Σx² − μ² in Double) on a single strip,
    /// whose reduction is the identity.
    func testSplitGroupsMatchReference() { checkAgainstReference(splitGroups: true) }

    func checkAgainstReference(splitGroups: Bool) {
        for (index, (shape, groups)) in Self.cases.enumerated() {
            let split = splitGroups ? SplitGroups(elementsPerGroup: shape[1] / groups * shape[2] * shape[3], reduce: { _ in }) : nil
            let seed = UInt64(10 * index)
            let c = shape[1], count = shape.reduce(1, *)
            // A large common offset checks that the statistics do not cancel.
            let x = KernelCheck.values(count, seed: seed, scale: 2, offset: index.isMultiple(of: 2) ? 0 : 10)
            let gamma = KernelCheck.values(c, seed: seed + 1, offset: 1), beta = KernelCheck.values(c, seed: seed + 2)
            let dy = KernelCheck.values(count, seed: seed + 3)
            let what = "shape \(shape) groups \(groups)\(splitGroups ? " split" : "")"

            let reference = GroupNormReference.forward(x, shape: shape, groups: groups, gamma: gamma, beta: beta)
            let gammaF = gamma.map(Float.init), betaF = beta.map(Float.init)
            let (y, statistics) = gammaF.withUnsafeBufferPointer { g in
                betaF.withUnsafeBufferPointer { b in
                    GroupNorm.forward(KernelCheck.tensor(x, shape: shape), groups: groups, gamma: g, beta: b, split: split)
                }
            }
            KernelCheck.assertClose(y, reference.output, shape: shape, "forward \(what)")
            KernelCheck.assertClose(statistics.mean, reference.mean, "mean \(what)")
            KernelCheck.assertClose(statistics.inverseStd, reference.inverseStd, "inverseStd \(what)")

            // The parameter gradients accumulate onto what is already there.
            let start = KernelCheck.values(c, seed: seed + 4)
            var dGamma = start.map(Float.init), dBeta = start.map(Float.init)
            let dx = gammaF.withUnsafeBufferPointer { g in
                dGamma.withUnsafeMutableBufferPointer { dg in
                    dBeta.withUnsafeMutableBufferPointer { db in
                        GroupNorm.backward(outputGradient: KernelCheck.tensor(dy, shape: shape),
                                           input: KernelCheck.tensor(x, shape: shape), statistics: statistics,
                                           groups: groups, gamma: g, gammaGradient: dg, betaGradient: db, split: split)
                    }
                }
            }
            let expected = GroupNormReference.backward(outputGradient: dy, input: x, shape: shape, groups: groups, gamma: gamma)
            KernelCheck.assertClose(dx, expected.input, shape: shape, tolerance: 2e-5, "dx \(what)")
            KernelCheck.assertClose(dGamma, zip(start, expected.gamma).map(+), "dgamma \(what)")
            KernelCheck.assertClose(dBeta, zip(start, expected.beta).map(+), "dbeta \(what)")
        }
    }

    func testReferenceGradients() {
        for (shape, groups) in [([1, 4, 2, 3], 2), ([3, 3, 2, 2], 1), ([2, 2, 1, 3], 2)] {
            let c = shape[1], count = shape.reduce(1, *)
            let x = KernelCheck.values(count, seed: 1), dy = KernelCheck.values(count, seed: 2)
            let gamma = KernelCheck.values(c, seed: 3, offset: 1), beta = KernelCheck.values(c, seed: 4)
            let analytic = GroupNormReference.backward(outputGradient: dy, input: x, shape: shape, groups: groups, gamma: gamma)
            let forward = { (x: [Double], gamma: [Double], beta: [Double]) in
                GroupNormReference.forward(x, shape: shape, groups: groups, gamma: gamma, beta: beta).output
            }
            let what = "shape \(shape) groups \(groups)"
            KernelCheck.assertGradient(of: { forward($0, gamma, beta) }, at: x, outputGradient: dy,
                                       analytic: analytic.input, "dx \(what)")
            KernelCheck.assertGradient(of: { forward(x, $0, beta) }, at: gamma, outputGradient: dy,
                                       analytic: analytic.gamma, "dgamma \(what)")
            KernelCheck.assertGradient(of: { forward(x, gamma, $0) }, at: beta, outputGradient: dy,
                                       analytic: analytic.beta, "dbeta \(what)")
        }
    }

    /// With γ = 1, β = 0 every group of the output has mean 0 and variance σ²/(σ² + ε).
    func testNormalisedOutputHasZeroMeanAndUnitVariance() {
        let shape = [2, 4, 8, 8], x = KernelCheck.values(512, seed: 9, scale: 3, offset: 5)
        let ones = [Float](repeating: 1, count: 4), zeros = [Float](repeating: 0, count: 4)
        let y = ones.withUnsafeBufferPointer { g in
            zeros.withUnsafeBufferPointer { b in
                GroupNorm.forward(KernelCheck.tensor(x, shape: shape), groups: 2, gamma: g, beta: b).output
            }
        }
        for group in 0..<4 {
            let values = y.scalars[(group * 128)..<((group + 1) * 128)].map(Double.init)
            let mean = values.reduce(0, +) / 128
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 128
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-4)
        }
    }
}
