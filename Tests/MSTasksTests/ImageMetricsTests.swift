import Foundation
import MSTasks
import MSTensor
import XCTest

final class ImageMetricsTests: XCTestCase {
    func testPSNROfIdenticalImagesIsCapped() {
        let image = randomImage([2, 3, 8, 8], seed: 1)
        XCTAssertEqual(ImageMetrics.meanSquaredError(image, image), [0, 0])
        XCTAssertEqual(ImageMetrics.psnr(image, image), [100, 100])
    }

    /// Sample 0: 0 vs 0.5 in [−1, 1] is 0.5 vs 0.75 on [0, 1]: MSE 1/16, PSNR 10·log10(16).
    /// Sample 1: 1 vs −1 is 1 vs 0: MSE 1, PSNR 0. Sample 2: out-of-range values are clamped.
    func testMetricsMapToTheUnitRange() {
        let prediction = Tensor.stackBatch([Tensor(shape: [1, 2, 4, 4], repeating: 0),
                                            Tensor(shape: [1, 2, 4, 4], repeating: 1),
                                            Tensor(shape: [1, 2, 4, 4], repeating: 3)])
        let target = Tensor.stackBatch([Tensor(shape: [1, 2, 4, 4], repeating: 0.5),
                                        Tensor(shape: [1, 2, 4, 4], repeating: -1),
                                        Tensor(shape: [1, 2, 4, 4], repeating: 1)])
        XCTAssertEqual(ImageMetrics.meanSquaredError(prediction, target), [0.0625, 1, 0])
        let psnr = ImageMetrics.psnr(prediction, target)
        XCTAssertEqual(psnr[0], 10 * log10(16.0), accuracy: 1e-12)
        XCTAssertEqual(psnr[1], 0, accuracy: 1e-12)
        XCTAssertEqual(psnr[2], 100)
    }

    /// Black (−1 → 0) against white (1 → 1): μ = 0 and 1, no variance: SSIM = C1 / (1 + C1).
    /// On the raw [−1, 1] values it would be about −1.
    func testSSIMOfBlackAgainstWhite() {
        let black = Tensor(shape: [1, 1, 11, 11], repeating: -1), white = Tensor(shape: [1, 1, 11, 11], repeating: 1)
        XCTAssertEqual(ImageMetrics.ssim(black, white)[0], 1e-4 / (1 + 1e-4), accuracy: 1e-12)
    }

    func testSSIMOfIdenticalImagesIsOne() {
        let image = randomImage([2, 3, 16, 13], seed: 2)
        for value in ImageMetrics.ssim(image, image) { XCTAssertEqual(value, 1, accuracy: 1e-12) }
    }

    /// Noisy, non-square images: below 1, symmetric, and equal to the direct reference.
    func testSSIMMatchesTheReferenceAndIsSymmetric() {
        let clean = randomImage([2, 3, 20, 27], seed: 3)
        let noisy = clean + randomImage(clean.shape, seed: 4) * 0.3
        let fast = ImageMetrics.ssim(noisy, clean)
        let reference = SSIMReference.ssim(noisy, clean)
        let swapped = ImageMetrics.ssim(clean, noisy)
        for b in 0..<2 {
            XCTAssertLessThan(fast[b], 0.99)
            XCTAssertGreaterThan(fast[b], 0)
            XCTAssertEqual(fast[b], reference[b], accuracy: 1e-10)
            XCTAssertEqual(fast[b], swapped[b], accuracy: 1e-12)
        }
        XCTAssertNotEqual(fast[0], fast[1])
    }
}
