import MSData
import XCTest

final class ImageResizeTests: XCTestCase {
    func testBilinearKeepsConstantsAndInterpolatesRamps() {
        XCTAssertEqual(ImageResize.bilinear([Float](repeating: 0.3, count: 8), channels: 2, height: 2, width: 2, toHeight: 5, toWidth: 3),
                       [Float](repeating: 0.3, count: 30))
        // Row [0, 1] doubled: samples at −¼ (clamped), ¼, ¾, 1¼ (clamped) of the input.
        XCTAssertEqual(ImageResize.bilinear([0, 1], channels: 1, height: 1, width: 2, toHeight: 1, toWidth: 4), [0, 0.25, 0.75, 1])
    }

    func testHalveAveragesTwoByTwoBlocks() {
        XCTAssertEqual(ImageResize.halve([1, 2, 3, 4, 5, 6, 7, 8], channels: 1, height: 2, width: 4), [3.5, 5.5])
    }

    func testSquareResizeCropsTheCentre() {
        // 1×3 image → its centre pixel.
        XCTAssertEqual(ImageResize.squareResize([1, 2, 3], channels: 1, height: 1, width: 3, size: 1), [2])
        // 5×5 → drop the last row and column, then one 2×2 average level.
        let image = (0..<25).map(Float.init)
        XCTAssertEqual(ImageResize.squareResize(image, channels: 1, height: 5, width: 5, size: 2), [3, 5, 13, 15])
    }
}
