import Foundation
import MSKernels
import MSTensor
import XCTest

/// `TimeEmbedding` against `TimeEmbeddingReference`, and the reference against central differences.
final class TimeEmbeddingTests: XCTestCase {
    func testMatchesReference() {
        for (index, (n, d)) in [(1, 2), (3, 16), (3, 6), (5, 128)].enumerated() {
            let t = KernelCheck.values(n, seed: UInt64(index), scale: 0.5, offset: 0.5)
            let g = KernelCheck.values(n * d, seed: UInt64(index) + 7)
            let tF = t.map(Float.init)
            KernelCheck.assertClose(TimeEmbedding.sinusoidal(tF, dimension: d),
                                    TimeEmbeddingReference.sinusoidal(t, dimension: d), shape: [n, d], "forward N \(n) D \(d)")
            KernelCheck.assertClose(TimeEmbedding.sinusoidalBackward(tF, outputGradient: KernelCheck.tensor(g, shape: [n, d])),
                                    TimeEmbeddingReference.sinusoidalBackward(t, outputGradient: g), "backward N \(n) D \(d)")
        }
    }

    /// At t = 0 every cosine is 1 and every sine 0; frequency 0 is 1 and the last is 10000^(−(half−1)/half).
    func testKnownValues() {
        XCTAssertEqual(TimeEmbedding.sinusoidal([0], dimension: 4).scalars, [1, 1, 0, 0])
        let e = TimeEmbeddingReference.sinusoidal([1], dimension: 4)
        XCTAssertEqual(e[0], cos(1), accuracy: 1e-15)
        XCTAssertEqual(e[1], cos(0.01), accuracy: 1e-15)
        XCTAssertEqual(e[3], sin(0.01), accuracy: 1e-15)
    }

    func testReferenceGradient() {
        let t = [0.3, 0.9, 0.05], g = KernelCheck.values(3 * 8, seed: 3)
        KernelCheck.assertGradient(of: { TimeEmbeddingReference.sinusoidal($0, dimension: 8) }, at: t, outputGradient: g,
                                   analytic: TimeEmbeddingReference.sinusoidalBackward(t, outputGradient: g), "dt")
    }
}
