import MSData
import MSTestSupport
import XCTest

final class DeadLeavesTests: XCTestCase {
    func testSameSeedGivesBitwiseSameImages() throws {
        let a = try DeadLeaves(size: 32, channels: 3, seed: 5)
        let b = try DeadLeaves(size: 32, channels: 3, seed: 5)
        XCTAssertEqual(a.images(split: .train, indices: 0..<4), b.images(split: .train, indices: 0..<4))
        let c = try DeadLeaves(size: 32, channels: 3, seed: 6)
        XCTAssertNotEqual(a.image(split: .train, index: 0), c.image(split: .train, index: 0))
        XCTAssertNotEqual(a.image(split: .train, index: 0), a.image(split: .valid, index: 0), "splits use different streams")
        XCTAssertNotEqual(a.image(split: .train, index: 0), a.image(split: .train, index: 1))
    }

    func testSampleDependsOnlyOnItsIndex() throws {
        let generator = try DeadLeaves(size: 16, channels: 1, seed: 1, regime: .upsampled(factor: 2))
        let batch = generator.images(split: .valid, indices: 3..<7)
        for k in 0..<4 {
            XCTAssertEqual(Array(batch[k * 256 ..< (k + 1) * 256]), generator.image(split: .valid, index: 3 + k))
        }
    }

    func testWrittenSamplesDoNotDependOnTheCount() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let generator = try DeadLeaves(size: 16, channels: 3, seed: 2)
        try generator.writeDataset(to: folder.path("small.h5"), counts: [.train: 3, .valid: 1])
        try generator.writeDataset(to: folder.path("large.h5"), counts: [.train: 5, .valid: 2, .test: 1], batchSize: 2)
        let small = try ImageDataset(path: folder.path("small.h5"), split: .train)
        let large = try ImageDataset(path: folder.path("large.h5"), split: .train, levels: 5)
        XCTAssertEqual(try small.samples([0, 1, 2]), try large.samples([0, 1, 2]))
        let description = try DatasetDescription(path: folder.path("large.h5"))
        XCTAssertEqual(description.splits.map(\.split), [.train, .valid, .test])
        XCTAssertEqual(description.attributes["generator_seed"], .int64(2))
        XCTAssertEqual(description.attributes["provenance"], .string(generator.provenance))
        XCTAssertEqual(try DatasetDescription(path: folder.path("small.h5")).splits.map(\.split), [.train, .valid])
    }

    func testImagesAreCoveredWithValuesInTheUnitInterval() throws {
        let generator = try DeadLeaves(size: 32, channels: 3, seed: 0)
        let image = generator.image(split: .train, index: 0)
        XCTAssertEqual(image.count, 3 * 32 * 32)
        XCTAssertTrue(image.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertGreaterThan(Set(image).count, 20, "many discs are visible")
        let grey = try DeadLeaves(size: 8, channels: 1, seed: 0, maxDiscs: 1).image(split: .train, index: 0)
        XCTAssertLessThanOrEqual(Set(grey).count, 2, "one disc plus the fill colour")
    }

    /// Mean over images of the mean squared difference between horizontal neighbours.
    private func neighbourDifference(_ generator: DeadLeaves) -> Double {
        let n = generator.size
        var total = 0.0
        for index in 0..<8 {
            let image = generator.image(split: .train, index: index)
            for row in 0..<(generator.channels * n) {
                for x in 0..<(n - 1) {
                    let d = Double(image[row * n + x + 1] - image[row * n + x])
                    total += d * d
                }
            }
        }
        return total / Double(8 * generator.channels * n * (n - 1))
    }

    func testUpsampledRegimeIsSmoothAtTheFineScale() throws {
        let native = try DeadLeaves(size: 32, channels: 3, seed: 4)
        let upsampled = try DeadLeaves(size: 32, channels: 3, seed: 4, regime: .upsampled(factor: 4))
        XCTAssertLessThan(neighbourDifference(upsampled), 0.25 * neighbourDifference(native))
    }

    func testInvalidOptionsAreRejected() {
        assertThrowsDataError(try DeadLeaves(size: 32, channels: 2)) { if case .invalidOption = $0 { return true }; return false }
        assertThrowsDataError(try DeadLeaves(size: 32, minRadius: 0)) { if case .invalidOption = $0 { return true }; return false }
        assertThrowsDataError(try DeadLeaves(size: 32, minRadius: 4, maxRadius: 2)) { if case .invalidOption = $0 { return true }; return false }
        assertThrowsDataError(try DeadLeaves(size: 30, regime: .upsampled(factor: 4))) { if case .invalidOption = $0 { return true }; return false }
    }
}
