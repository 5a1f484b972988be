import MSData
import MSTensor
import MSTestSupport
import XCTest

final class ImageDatasetTests: XCTestCase {
    var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// Writes `/train/images` (and a one-image `/valid/images`) holding `images` of shape [n, 3, 4, 6].
    private func writeDataset(_ name: String, storage: SampleStorage, images: [Float], count: Int) throws -> String {
        let path = folder.path(name)
        let writer = try DatasetWriter(path: path, storage: storage, provenance: "test", generatorSeed: 9)
        try writer.addSplit(.train, count: count, channels: 3, height: 4, width: 6)
        let half = count / 2 * 72
        try writer.write(.train, unitImages: Array(images[..<half]), at: 0)
        try writer.write(.train, unitImages: Array(images[half...]), at: count / 2)
        try writer.addSplit(.valid, count: 1, channels: 3, height: 4, width: 6)
        try writer.write(.valid, unitImages: Array(images[..<72]), at: 0)
        try writer.close()
        return path
    }

    private func unitImages(count: Int) -> [Float] {
        var rng = CounterRandom(seed: 3, stream: 0)
        return (0..<(count * 72)).map { _ in rng.uniform() }
    }

    func testUInt8RoundTripIsQuantisedAndScaled() throws {
        let images = unitImages(count: 5)
        let path = try writeDataset("u8.h5", storage: .uint8, images: images, count: 5)
        let dataset = try ImageDataset(path: path, split: .train)
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], [5, 3, 4, 6])
        XCTAssertEqual(dataset.storage, .uint8)
        let batch = try dataset.samples([4, 0, 4])
        XCTAssertEqual(batch.shape, [3, 3, 4, 6])
        for (k, index) in [4, 0, 4].enumerated() {
            for i in 0..<72 {
                let expected = Float(DatasetWriter.quantize(images[index * 72 + i])) / 255 * 2 - 1
                XCTAssertEqual(batch.scalars[k * 72 + i], expected, accuracy: 1e-6)
            }
        }
        let description = try DatasetDescription(path: path)
        XCTAssertEqual(description.attributes["format"], .string("mstrain-dataset"))
        XCTAssertEqual(description.attributes["format_version"], .int64(1))
        XCTAssertEqual(description.attributes["value_range"], .string("0..255"))
        XCTAssertEqual(description.attributes["generator_seed"], .int64(9))
        XCTAssertEqual(description.splits.map(\.split), [.train, .valid])
        XCTAssertEqual(description.splits[0].info, HDF5DatasetInfo(shape: [5, 3, 4, 6], elementType: .uint8))
    }

    func testFloat32RoundTripIsExact() throws {
        let images = unitImages(count: 4)
        let path = try writeDataset("f32.h5", storage: .float32, images: images, count: 4)
        let dataset = try ImageDataset(path: path, split: .train)
        XCTAssertEqual(dataset.storage, .float32)
        XCTAssertEqual(try dataset.samples([0, 1, 2, 3]).scalars, images.map { $0 * 2 - 1 })
        XCTAssertEqual(try DatasetDescription(path: path).attributes["value_range"], .string("0..1"))
    }

    func testCachedAndChunkedReadsAgree() throws {
        for storage in [SampleStorage.uint8, .float32] {
            let path = try writeDataset("both-\(storage).h5", storage: storage, images: unitImages(count: 6), count: 6)
            let cached = try ImageDataset(path: path, split: .train)
            let chunked = try ImageDataset(path: path, split: .train, memoryBudgetBytes: 0)
            XCTAssertTrue(cached.isCached)
            XCTAssertFalse(chunked.isCached)
            let indices = [5, 1, 2, 3, 3, 0]
            XCTAssertEqual(try cached.samples(indices), try chunked.samples(indices))
            XCTAssertEqual(try cached.pixelStatistics().mean, try chunked.pixelStatistics().mean, accuracy: 1e-12)
        }
    }

    func testPixelStatisticsOfAConstantImage() throws {
        let path = try writeDataset("grey.h5", storage: .float32, images: [Float](repeating: 0.25, count: 4 * 72), count: 4)
        let statistics = try ImageDataset(path: path, split: .train).pixelStatistics()
        XCTAssertEqual(statistics.mean, 0.25, accuracy: 1e-6)
        XCTAssertEqual(statistics.standardDeviation, 0, accuracy: 1e-3)
    }

    // MARK: - Errors

    /// A file whose `/train/images` is a uint8 dataset of `shape`.
    private func fileWithTrainShape(_ shape: [Int]) throws -> String {
        let path = folder.path("shape-\(shape.map(String.init).joined(separator: "x")).h5")
        let file = try HDF5File(creatingAt: path)
        try file.createDataset("/train/images", elementType: .uint8, shape: shape, chunk: [1] + shape.dropFirst())
        try file.close()
        return path
    }

    func testMissingFile() {
        let path = folder.path("absent.h5")
        assertThrowsDataError(try ImageDataset(path: path, split: .train)) { $0 == .missingFile(path: path) }
    }

    func testNotAnHDF5File() throws {
        let path = folder.path("notes.h5")
        try "plain text".write(toFile: path, atomically: true, encoding: .utf8)
        assertThrowsDataError(try ImageDataset(path: path, split: .train)) { $0 == .notHDF5(path: path) }
    }

    func testMissingSplit() throws {
        let path = try fileWithTrainShape([2, 3, 8, 8])
        assertThrowsDataError(try ImageDataset(path: path, split: .test)) {
            if case .missingObject(path, let object, _) = $0 { return object.contains("/test/images") }
            return false
        }
    }

    func testWrongRank() throws {
        let path = try fileWithTrainShape([2, 8, 8])
        assertThrowsDataError(try ImageDataset(path: path, split: .train)) {
            $0 == .wrongRank(file: path, dataset: "/train/images", shape: [2, 8, 8])
        }
    }

    func testUnsupportedChannels() throws {
        let path = try fileWithTrainShape([2, 2, 8, 8])
        assertThrowsDataError(try ImageDataset(path: path, split: .train)) {
            $0 == .unsupportedChannels(file: path, dataset: "/train/images", shape: [2, 2, 8, 8])
        }
    }

    func testSizeNotDivisibleForLevels() throws {
        let path = try fileWithTrainShape([2, 3, 12, 16])
        XCTAssertNoThrow(try ImageDataset(path: path, split: .train, levels: 3))
        assertThrowsDataError(try ImageDataset(path: path, split: .train, levels: 4)) {
            $0 == .indivisibleSize(file: path, dataset: "/train/images", shape: [2, 3, 12, 16], levels: 4)
        }
    }

    func testEmptySplit() throws {
        let path = try fileWithTrainShape([0, 1, 8, 8])
        assertThrowsDataError(try ImageDataset(path: path, split: .train)) {
            $0 == .emptySplit(file: path, dataset: "/train/images")
        }
    }

    func testUnsupportedElementType() throws {
        let path = folder.path("int64.h5")
        let file = try HDF5File(creatingAt: path)
        try file.createDataset("/train/images", elementType: .int64, shape: [1, 1, 2, 2])
        try file.close()
        assertThrowsDataError(try ImageDataset(path: path, split: .train)) {
            if case .unsupportedElementType(path, "/train/images", _) = $0 { return true }
            return false
        }
    }
}
