import MSKernels
import MSTensor
import XCTest

/// `Dropout`: agreement with `DropoutReference`, reproducibility from (seed, sample id, tag),
/// the keep rate, and the backward.
final class DropoutTests: XCTestCase {
    func testMatchesReference() {
        for (shape, p) in [([3, 2, 5, 7], Float(0.5)), ([1, 3, 3, 3], 0.1), ([3, 9], 0.9), ([2, 1, 1, 1], 0)] {
            let ids: [UInt64] = [7, 3, 11].prefix(shape[0]).map { $0 }
            let x = KernelCheck.values(shape.reduce(1, *), seed: 1)
            let (y, mask) = Dropout.forward(KernelCheck.tensor(x, shape: shape), probability: p, seed: 42, sampleIDs: ids, tag: 5)
            let expected = DropoutReference.mask(shape: shape, probability: p, seed: 42, sampleIDs: ids, tag: 5)
            KernelCheck.assertClose(mask, expected, shape: shape, tolerance: 1e-6, "mask \(shape) p \(p)")
            KernelCheck.assertClose(y, DropoutReference.apply(x, mask: expected), shape: shape, tolerance: 1e-6, "output \(shape)")
        }
    }

    func testMaskDependsOnlyOnSeedSampleAndTag() {
        let mask = { (ids: [UInt64], seed: UInt64, tag: UInt64) in
            Dropout.forward(Tensor(shape: [ids.count, 4, 6, 6], repeating: 1), probability: 0.5, seed: seed, sampleIDs: ids,
                            tag: tag).mask
        }
        let base = mask([10, 20, 30], 1, 2)
        XCTAssertEqual(base, mask([10, 20, 30], 1, 2), "same inputs, same mask")
        // Sample 20 at position 0 of another batch, and alone, gets its mask from position 1 of `base`.
        XCTAssertEqual(mask([20, 99, 10], 1, 2).batchSlice(0..<1), base.batchSlice(1..<2))
        XCTAssertEqual(mask([20, 99, 10], 1, 2).batchSlice(2..<3), base.batchSlice(0..<1))
        XCTAssertEqual(mask([20], 1, 2), base.batchSlice(1..<2))
        XCTAssertNotEqual(mask([10, 20, 30], 1, 3), base, "another tag")
        XCTAssertNotEqual(mask([10, 20, 30], 2, 2), base, "another seed")
        XCTAssertNotEqual(base.batchSlice(0..<1).scalars, base.batchSlice(1..<2).scalars, "another sample")
    }

    /// A strip of rows gets, row for row, the mask of the whole image (at any word offset).
    func testStripMaskIsTheWholeImagesRows() {
        let shape = [2, 3, 9, 5]
        let whole = Dropout.forward(Tensor(shape: shape, repeating: 1), probability: 0.4, seed: 8, sampleIDs: [4, 6], tag: 1).mask
        for rows in [0..<4, 4..<9, 3..<7, 8..<9] {
            var stripShape = shape
            stripShape[2] = rows.count
            let strip = Dropout.forward(Tensor(shape: stripShape, repeating: 1), probability: 0.4, seed: 8, sampleIDs: [4, 6], tag: 1,
                                        strip: Dropout.StripRows(rows: rows, imageHeight: 9)).mask
            for n in 0..<2 {
                for c in 0..<3 {
                    for (i, y) in rows.enumerated() {
                        for x in 0..<5 { XCTAssertEqual(strip[n, c, i, x], whole[n, c, y, x], "rows \(rows), (\(n), \(c), \(y), \(x))") }
                    }
                }
            }
        }
    }

    /// The kept fraction is within 4 standard errors of 1 − p; kept values are scaled by 1/(1 − p).
    func testKeepRate() {
        for p in [Float(0.1), 0.5, 0.8] {
            let x = Tensor(shape: [4, 8, 32, 32], repeating: 1)
            let mask = Dropout.forward(x, probability: p, seed: 3, sampleIDs: [0, 1, 2, 3], tag: 0).mask
            let kept = mask.scalars.filter { $0 != 0 }
            XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / (1 - p)) < 1e-6 }, "kept values are 1/(1-p)")
            let n = Double(mask.count), rate = Double(kept.count) / n
            let standardError = (Double(p) * (1 - Double(p)) / n).squareRoot()
            XCTAssertEqual(rate, 1 - Double(p), accuracy: 4 * standardError, "keep rate for p = \(p)")
        }
    }

    func testBackwardMultipliesByMask() {
        let shape = [3, 2, 3, 5], count = 90
        let x = KernelCheck.values(count, seed: 4), dy = KernelCheck.values(count, seed: 5)
        let mask = Dropout.forward(KernelCheck.tensor(x, shape: shape), probability: 0.3, seed: 8, sampleIDs: [1, 2, 3], tag: 1).mask
        let dx = Dropout.backward(outputGradient: KernelCheck.tensor(dy, shape: shape), mask: mask)
        let m = KernelCheck.doubles(mask)
        KernelCheck.assertClose(dx, DropoutReference.apply(dy, mask: m), shape: shape, tolerance: 1e-7, "backward")
        // For a fixed mask, y is linear in x, so the reference's backward is its own Jacobian transpose.
        KernelCheck.assertGradient(of: { DropoutReference.apply($0, mask: m) }, at: x, outputGradient: dy,
                                   analytic: DropoutReference.apply(dy, mask: m), "reference backward")
    }
}
