import Foundation
import MSData
import MSTensor
import MSTestSupport
import XCTest

/// The per-image layout (format version 2): images of different sizes, windows read with
/// `region`, uint16 storage, and the one-array layout's windows.
final class PerImageDatasetTests: XCTestCase {
    var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// Sizes (H, W) that cross the 256-pixel tiles, and a tiny one.
    private let sizes = [ImageSize(height: 300, width: 520), ImageSize(height: 17, width: 9),
                         ImageSize(height: 256, width: 256), ImageSize(height: 513, width: 260)]

    /// One image `[1, C, H, W]` of pseudo-random values in `storage`.
    private func image(_ size: ImageSize, channels: Int, storage: SampleStorage, seed: Int) -> ImageArray {
        let n = channels * size.pixels
        let values: ImageArray.Values
        switch storage {
        case .uint8: values = .uint8((0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ seed &* 31) })
        case .uint16: values = .uint16((0..<n).map { UInt16(truncatingIfNeeded: $0 &* 40503 &+ seed &* 977) })
        case .float32: values = .float32((0..<n).map { Float(($0 &* 7919 &+ seed) % 1000) / 999 })
        }
        return ImageArray(count: 1, channels: channels, height: size.height, width: size.width, values: values)
    }

    /// Writes `images` to train and the first one to valid in the per-image layout.
    private func writePerImage(_ name: String, _ images: [ImageArray], storage: SampleStorage) throws -> String {
        let path = folder.path(name)
        let writer = try DatasetWriter(path: path, storage: storage, layout: .perImage, provenance: "test")
        for image in images { try writer.append(image, to: .train) }
        try writer.append(images[0], to: .valid)
        XCTAssertEqual(writer.appendedCount(.train), images.count)
        try writer.close()
        return path
    }

    /// The whole image `index` of `dataset` as read by `region`.
    private func whole(_ dataset: ImageDataset, _ index: Int) throws -> Tensor {
        try dataset.region(index, rows: 0 ..< dataset.sizes[index].height, columns: 0 ..< dataset.sizes[index].width)
    }

    /// The window `rows × columns` cut out of a `[1, C, H, W]` tensor.
    private func slice(_ image: Tensor, rows: Range<Int>, columns: Range<Int>) -> [Float] {
        let (c, h, w) = (image.shape[1], image.shape[2], image.shape[3])
        var out: [Float] = []
        for k in 0..<c {
            for y in rows {
                let row: Int = (k * h + y) * w
                out += image.scalars[row + columns.lowerBound ..< row + columns.upperBound]
            }
        }
        return out
    }

    /// Windows of `size`: whole, one pixel, corners and edges, and ones crossing tile borders.
    private func windows(_ size: ImageSize) -> [(Range<Int>, Range<Int>)] {
        let (h, w) = (size.height, size.width)
        var result: [(Range<Int>, Range<Int>)] = [(0 ..< h, 0 ..< w), (0 ..< 1, 0 ..< 1), (h - 1 ..< h, w - 1 ..< w)]
        result += [(0 ..< h, w - 3 ..< w), (h / 2 ..< h, 0 ..< 2)]
        if h > 256 && w > 256 {
            result += [(250 ..< 262, 240 ..< w), (255 ..< 257, 255 ..< 257), (1 ..< h - 1, 100 ..< min(w, 300))]
        }
        return result
    }

    func testSizesAndTheirSemantics() throws {
        let path = try writePerImage("sizes.h5", sizes.enumerated().map { image($1, channels: 3, storage: .uint8, seed: $0) }, storage: .uint8)
        let dataset = try ImageDataset(path: path, split: .train)
        XCTAssertEqual(dataset.sizes, sizes)
        XCTAssertNil(dataset.uniformSize)
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], [4, 3, 17, 9], "the smallest H and W")
        XCTAssertEqual(dataset.storage, .uint8)
        assertThrowsDataError(try dataset.samples([0])) {
            $0.description.contains("images differ in size") && $0.description.contains("--patch")
        }
        let valid = try ImageDataset(path: path, split: .valid)
        XCTAssertEqual(valid.uniformSize, sizes[0])
        XCTAssertEqual([valid.height, valid.width], [300, 520])

        let description = try DatasetDescription(path: path)
        XCTAssertEqual(description.attributes["format_version"], .int64(2))
        XCTAssertEqual(description.splits.map(\.split), [.train, .valid])
        XCTAssertEqual(description.splits[0].sizes, sizes)
        XCTAssertEqual(description.splits[0].info, HDF5DatasetInfo(shape: [4, 3], elementType: .uint8))
    }

    func testLevelsApplyToTheSmallestSize() throws {
        let images = [ImageSize(height: 64, width: 100), ImageSize(height: 36, width: 202)].enumerated().map {
            image($1, channels: 1, storage: .uint8, seed: $0)
        }
        let path = try writePerImage("levels.h5", images, storage: .uint8)
        // The smallest H and W, 36 and 100, are divisible by 4 (202 is not, but every image gives 36 × 100).
        XCTAssertNoThrow(try ImageDataset(path: path, split: .train, levels: 3))
        assertThrowsDataError(try ImageDataset(path: path, split: .train, levels: 4)) {   // 36 is not divisible by 8
            $0 == .indivisibleSize(file: path, dataset: "/train/images", shape: [2, 1, 36, 100], levels: 4)
        }
    }

    func testRegionsEqualTheWholeImageCachedAndOnDemand() throws {
        for storage in [SampleStorage.uint8, .uint16, .float32] {
            let images = sizes.enumerated().map { image($1, channels: storage == .uint16 ? 1 : 3, storage: storage, seed: $0) }
            let path = try writePerImage("regions-\(storage).h5", images, storage: storage)
            let cached = try ImageDataset(path: path, split: .train)
            let onDemand = try ImageDataset(path: path, split: .train, memoryBudgetBytes: 0)
            XCTAssertTrue(cached.isCached)
            XCTAssertFalse(onDemand.isCached)
            XCTAssertEqual(onDemand.storage, storage)
            for (index, size) in sizes.enumerated() {
                let reference = try whole(onDemand, index)
                XCTAssertEqual(reference.scalars, try whole(cached, index).scalars, "\(storage) image \(index)")
                // Stored values scaled as documented.
                let unit = images[index].unitValues
                for i in stride(from: 0, to: unit.count, by: 97) {
                    XCTAssertEqual(reference.scalars[i], 2 * unit[i] - 1, accuracy: 1e-6, "\(storage) image \(index) element \(i)")
                }
                for (rows, columns) in windows(size) {
                    let expected = slice(reference, rows: rows, columns: columns)
                    for dataset in [cached, onDemand] {
                        let window = try dataset.region(index, rows: rows, columns: columns)
                        XCTAssertEqual(window.shape, [1, images[index].channels, rows.count, columns.count])
                        XCTAssertEqual(window.scalars, expected, "\(storage) image \(index) rows \(rows) columns \(columns)")
                    }
                }
            }
            XCTAssertEqual(try cached.pixelStatistics().mean, try onDemand.pixelStatistics().mean)
        }
    }

    func testUInt16IsScaledBy65535() throws {
        let values: [UInt16] = [0, 1, 257, 32768, 65534, 65535]
        let image = ImageArray(count: 1, channels: 1, height: 2, width: 3, values: .uint16(values))
        let path = try writePerImage("u16.h5", [image, image], storage: .uint16)
        XCTAssertEqual(try DatasetDescription(path: path).attributes["value_range"], .string("0..65535"))
        let dataset = try ImageDataset(path: path, split: .train)
        XCTAssertEqual(dataset.uniformSize, ImageSize(height: 2, width: 3))
        let batch = try dataset.samples([1, 0])
        XCTAssertEqual(batch.shape, [2, 1, 2, 3])
        for (i, v) in (values + values).enumerated() {
            XCTAssertEqual(batch.scalars[i], 2 * Float(v) / 65535 - 1, accuracy: 1e-6)
        }
        XCTAssertEqual(batch.scalars.first, -1)
        XCTAssertEqual(batch.scalars.last, 1)
    }

    func testUniformPerImageFileReadsLikeTheOneArrayLayout() throws {
        let size = ImageSize(height: 20, width: 12)
        let images = (0..<5).map { image(size, channels: 3, storage: .uint8, seed: $0) }
        let perImage = try writePerImage("uniform-v2.h5", images, storage: .uint8)
        let arrayPath = folder.path("uniform-v1.h5")
        let writer = try DatasetWriter(path: arrayPath, storage: .uint8, provenance: "test")
        try writer.addSplit(.train, count: 5, channels: 3, height: 20, width: 12)
        try writer.write(.train, images: ImageArray.concatenate(images), at: 0)
        try writer.close()
        XCTAssertEqual(try DatasetDescription(path: arrayPath).attributes["format_version"], .int64(1))

        let indices = [4, 0, 1, 2, 2]
        let v1 = try ImageDataset(path: arrayPath, split: .train), v2 = try ImageDataset(path: perImage, split: .train)
        XCTAssertEqual(v2.uniformSize, size)
        XCTAssertEqual(try v1.samples(indices), try v2.samples(indices))
        XCTAssertEqual(try v1.samples(indices), try ImageDataset(path: perImage, split: .train, memoryBudgetBytes: 0).samples(indices))
    }

    func testOneArrayRegionsEqualSlicedSamples() throws {
        let path = folder.path("array.h5")
        let writer = try DatasetWriter(path: path, storage: .float32, provenance: "test")
        let images = (0..<3).map { image(ImageSize(height: 270, width: 300), channels: 1, storage: .float32, seed: $0) }
        try writer.addSplit(.train, count: 3, channels: 1, height: 270, width: 300)
        try writer.write(.train, images: ImageArray.concatenate(images), at: 0)
        try writer.close()
        let cached = try ImageDataset(path: path, split: .train)
        let onDemand = try ImageDataset(path: path, split: .train, memoryBudgetBytes: 0)
        XCTAssertEqual(cached.uniformSize, ImageSize(height: 270, width: 300))
        XCTAssertEqual(cached.sizes, Array(repeating: ImageSize(height: 270, width: 300), count: 3))
        for index in 0..<3 {
            let sample = try cached.samples([index])
            for (rows, columns) in windows(ImageSize(height: 270, width: 300)) {
                let expected = slice(sample, rows: rows, columns: columns)
                XCTAssertEqual(try cached.region(index, rows: rows, columns: columns).scalars, expected)
                XCTAssertEqual(try onDemand.region(index, rows: rows, columns: columns).scalars, expected)
            }
        }
    }

    func testSizesThatDisagreeWithAnImageAreRejected() throws {
        let path = folder.path("bad.h5")
        let file = try HDF5File(creatingAt: path)
        try file.createDataset("/train/images/0000000", elementType: .uint8, shape: [1, 4, 5])
        try file.createDataset("/train/images/0000001", elementType: .uint8, shape: [1, 4, 6])
        try file.createDataset("/train/sizes", elementType: .int64, shape: [2, 2])
        try file.write([4, 5, 4, 5] as [Int64], to: "/train/sizes")
        try file.close()
        assertThrowsDataError(try ImageDataset(path: path, split: .train)) {
            if case .malformedLayout(path, "/train/images/0000001", let reason) = $0 { return reason.contains("[1, 4, 6]") }
            return false
        }
    }

    func testH5pyReadsThePerImageLayout() throws {
        let python = "/usr/bin/env"
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["python3", "-c", "import h5py"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { throw XCTSkip("python3 is not installed: h5py readability not checked") }
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else { throw XCTSkip("python3 has no h5py: h5py readability not checked") }

        let images = sizes.enumerated().map { image($1, channels: 3, storage: .uint16, seed: $0) }
        let path = try writePerImage("h5py.h5", images, storage: .uint16)
        let script = """
            import sys, h5py
            f = h5py.File(sys.argv[1], 'r')
            image = f['train/images/0000003'][:]
            sizes = f['train/sizes'][:]
            print(image.dtype, image.shape, int(image[2, 512, 259]), int(image.sum()))
            print(sizes.tolist(), f['train/images/0000000'].chunks, f['train/images/0000001'].chunks, f.attrs['format_version'])
            """
        let run = Process()
        run.executableURL = URL(fileURLWithPath: python)
        run.arguments = ["python3", "-c", script, path]
        let output = Pipe()
        run.standardOutput = output
        try run.run()
        run.waitUntilExit()
        XCTAssertEqual(run.terminationStatus, 0)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard case .uint16(let last) = images[3].values else { return XCTFail("expected uint16") }
        let expected = """
            uint16 (3, 513, 260) \(last[(2 * 513 + 512) * 260 + 259]) \(last.reduce(0) { $0 + Int($1) })
            [[300, 520], [17, 9], [256, 256], [513, 260]] (3, 256, 256) (3, 17, 9) 2

            """
        XCTAssertEqual(text, expected)
    }
}
