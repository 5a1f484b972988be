import MSKernels
import MSTensor
import XCTest

/// `Attention` against `AttentionReference`, and the reference against central differences.
final class AttentionTests: XCTestCase {
    func testMatchesReference() {
        for (index, shape) in [[1, 4, 9], [3, 3, 5], [3, 1, 1], [1, 8, 35], [2, 5, 64]].enumerated() {
            let seed = UInt64(10 * index), count = shape.reduce(1, *), (n, p) = (shape[0], shape[2])
            let q = KernelCheck.values(count, seed: seed, scale: 2), k = KernelCheck.values(count, seed: seed + 1, scale: 2)
            let v = KernelCheck.values(count, seed: seed + 2), g = KernelCheck.values(count, seed: seed + 3)
            let (qT, kT, vT) = (KernelCheck.tensor(q, shape: shape), KernelCheck.tensor(k, shape: shape),
                                KernelCheck.tensor(v, shape: shape))

            let fast = Attention.forward(query: qT, key: kT, value: vT)
            let reference = AttentionReference.forward(query: q, key: k, value: v, shape: shape)
            KernelCheck.assertClose(fast.output, reference.output, shape: shape, "output \(shape)")
            KernelCheck.assertClose(fast.probabilities, reference.probabilities, shape: [n, p, p], "probabilities \(shape)")

            let grads = Attention.backward(outputGradient: KernelCheck.tensor(g, shape: shape), query: qT, key: kT, value: vT,
                                           probabilities: fast.probabilities)
            let expected = AttentionReference.backward(outputGradient: g, query: q, key: k, value: v, shape: shape)
            KernelCheck.assertClose(grads.query, expected.query, shape: shape, tolerance: 2e-5, "dq \(shape)")
            KernelCheck.assertClose(grads.key, expected.key, shape: shape, tolerance: 2e-5, "dk \(shape)")
            KernelCheck.assertClose(grads.value, expected.value, shape: shape, "dv \(shape)")
        }
    }

    func testProbabilitiesAreRowStochastic() {
        let shape = [2, 3, 20]
        let (q, k, v) = (KernelCheck.values(120, seed: 1, scale: 30), KernelCheck.values(120, seed: 2, scale: 30),
                         KernelCheck.values(120, seed: 3))
        let a = Attention.forward(query: KernelCheck.tensor(q, shape: shape), key: KernelCheck.tensor(k, shape: shape),
                                  value: KernelCheck.tensor(v, shape: shape)).probabilities
        for row in 0..<40 {
            let values = a.scalars[(row * 20)..<((row + 1) * 20)]
            XCTAssertTrue(values.allSatisfy { $0 >= 0 && $0.isFinite })
            XCTAssertEqual(Double(values.reduce(0, +)), 1, accuracy: 1e-5)
        }
    }

    func testReferenceGradients() {
        let shape = [2, 3, 4]
        let q = KernelCheck.values(24, seed: 1), k = KernelCheck.values(24, seed: 2), v = KernelCheck.values(24, seed: 3)
        let g = KernelCheck.values(24, seed: 4)
        let analytic = AttentionReference.backward(outputGradient: g, query: q, key: k, value: v, shape: shape)
        let out = { (q: [Double], k: [Double], v: [Double]) in
            AttentionReference.forward(query: q, key: k, value: v, shape: shape).output
        }
        KernelCheck.assertGradient(of: { out($0, k, v) }, at: q, outputGradient: g, analytic: analytic.query, "dq")
        KernelCheck.assertGradient(of: { out(q, $0, v) }, at: k, outputGradient: g, analytic: analytic.key, "dk")
        KernelCheck.assertGradient(of: { out(q, k, $0) }, at: v, outputGradient: g, analytic: analytic.value, "dv")
    }
}
