import Foundation
import MSData
import MSTestSupport
import XCTest

/// Folder imports at native resolution: images of different sizes, 16-bit PNGs, `--downscale`,
/// `--channels`, `--skip-bad` and progress lines.
final class FolderImportTests: XCTestCase {
    var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// An 8-bit PNG of `size` with `channels` 1 or 3 and its pixels planar `[C, H, W]`.
    private func png8(_ size: ImageSize, channels: Int, seed: Int) -> (bytes: [UInt8], planar: [UInt8]) {
        func value(_ c: Int, _ y: Int, _ x: Int) -> UInt8 { UInt8((seed * 13 + y * 7 + x * 3 + c * 50) % 256) }
        let rows = (0..<size.height).map { y in (0..<size.width).flatMap { x in (0..<channels).map { value($0, y, x) } } }
        let planar = (0..<channels).flatMap { c in (0..<size.height).flatMap { y in (0..<size.width).map { value(c, y, $0) } } }
        return (png(width: size.width, height: size.height, colorType: channels == 3 ? 2 : 0, rows: rows), planar)
    }

    /// A 16-bit grey PNG of `size` and its samples.
    private func png16(_ size: ImageSize, seed: Int) -> (bytes: [UInt8], samples: [UInt16]) {
        let samples = (0 ..< size.pixels).map { UInt16(truncatingIfNeeded: $0 &* 40503 &+ seed &* 977) }
        let rows = (0..<size.height).map { y in samples[y * size.width ..< (y + 1) * size.width].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }
        return (png(width: size.width, height: size.height, bitDepth: 16, colorType: 0, rows: rows), samples)
    }

    /// Image `index` of `split` back in stored units (0...255 or 0...65535).
    private func stored(_ path: String, _ split: Split, _ index: Int) throws -> [Int] {
        let dataset = try ImageDataset(path: path, split: split)
        let size = dataset.sizes[index]
        let maximum = dataset.storage == .uint16 ? 65535 : 255
        return try dataset.region(index, rows: 0 ..< size.height, columns: 0 ..< size.width).scalars
            .map { Int(((Double($0) + 1) / 2 * Double(maximum)).rounded()) }
    }

    func testNativeSizesRoundTripExactly() throws {
        let sizes = [ImageSize(height: 5, width: 7), ImageSize(height: 9, width: 4), ImageSize(height: 3, width: 8), ImageSize(height: 6, width: 6)]
        var expected: [[UInt8]] = []
        for (k, size) in sizes.enumerated() {
            let (bytes, planar) = png8(size, channels: k == 2 ? 1 : 3, seed: k)
            try folder.write(bytes, "img\(k).png", in: "photos")
            expected.append(k == 2 ? planar + planar + planar : planar)   // grey is repeated into R, G and B
        }
        let output = folder.path("native.h5")
        let summary = try DatasetImport.run(source: folder.path("photos"), to: output, options: .init(validCount: 1))
        XCTAssertEqual(summary.counts, [.train: 3, .valid: 1])
        XCTAssertEqual([summary.channels, summary.height, summary.width], [3, 3, 4])
        XCTAssertEqual(summary.largest, ImageSize(height: 9, width: 8))
        XCTAssertEqual(summary.storage, .uint8)
        XCTAssertTrue(summary.description.contains("3 channels from 4×3 to 8×9 pixels"), summary.description)

        let description = try DatasetDescription(path: output)
        XCTAssertEqual(description.attributes["format_version"], .int64(2))
        XCTAssertEqual(description.splits.map(\.sizes), [Array(sizes[0 ..< 3]), [sizes[3]]])
        let train = try ImageDataset(path: output, split: .train)
        XCTAssertEqual(train.sizes, Array(sizes[0 ..< 3]))
        for k in 0..<3 { XCTAssertEqual(try stored(output, .train, k), expected[k].map(Int.init), "image \(k)") }
        XCTAssertEqual(try stored(output, .valid, 0), expected[3].map(Int.init))
    }

    func testImagesOfOneSizeGiveAVersion1File() throws {
        for k in 0..<3 { try folder.write(png8(ImageSize(height: 4, width: 6), channels: 1, seed: k).bytes, "\(k).png", in: "same") }
        let output = folder.path("same.h5")
        let summary = try DatasetImport.run(source: folder.path("same"), to: output)
        XCTAssertEqual([summary.channels, summary.height, summary.width], [1, 4, 6])
        let description = try DatasetDescription(path: output)
        XCTAssertEqual(description.attributes["format_version"], .int64(1))
        XCTAssertEqual(description.splits[0].info, HDF5DatasetInfo(shape: [2, 1, 4, 6], elementType: .uint8))
        XCTAssertNil(description.splits[0].sizes)
    }

    func testSixteenBitPNGsAreKeptAsUInt16() throws {
        let (bytes16, samples) = png16(ImageSize(height: 3, width: 5), seed: 1)
        let (bytes8, planar) = png8(ImageSize(height: 2, width: 2), channels: 1, seed: 2)
        try folder.write(bytes16, "a.png", in: "deep")
        try folder.write(bytes8, "b.png", in: "deep")
        let output = folder.path("deep.h5")
        let summary = try DatasetImport.run(source: folder.path("deep"), to: output)
        XCTAssertEqual(summary.storage, .uint16)
        let description = try DatasetDescription(path: output)
        XCTAssertEqual(description.attributes["value_range"], .string("0..65535"))
        XCTAssertEqual(description.splits[0].info.elementType, .uint16)
        XCTAssertEqual(try stored(output, .train, 0), samples.map(Int.init))
        XCTAssertEqual(try stored(output, .valid, 0), planar.map { Int($0) * 257 }, "8-bit images are scaled by 257")
    }

    func testDownscaleAveragesBlocksAndCropsTheRemainder() throws {
        // 7 × 5 grey image, factor 2: 3 × 2 blocks; the last row and column are cropped.
        let (bytes, planar) = png8(ImageSize(height: 5, width: 7), channels: 1, seed: 3)
        try folder.write(bytes, "a.png", in: "big")
        try folder.write(png8(ImageSize(height: 4, width: 4), channels: 1, seed: 4).bytes, "b.png", in: "big")
        let output = folder.path("down.h5")
        let summary = try DatasetImport.run(source: folder.path("big"), to: output, options: .init(downscale: 2))
        XCTAssertEqual(summary.largest, ImageSize(height: 2, width: 3))
        var expected: [Int] = []
        for y in 0..<2 {
            for x in 0..<3 {
                var sum = 0
                for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] { sum += Int(planar[(2 * y + dy) * 7 + 2 * x + dx]) }
                expected.append((sum + 2) / 4)
            }
        }
        XCTAssertEqual(try stored(output, .train, 0), expected)
        XCTAssertTrue(try XCTUnwrap(DatasetDescription(path: output).attributes["provenance"]).description.contains("downscaled by 2"))

        let rounding = ImageArray(count: 1, channels: 1, height: 2, width: 2, values: .uint16([1, 2, 2, 2])).downscaled(by: 2)
        XCTAssertEqual(rounding.values, .uint16([2]), "(7 + 2) / 4 rounds 1.75 to 2")
        let floats = ImageArray(count: 1, channels: 1, height: 1, width: 3, values: .float32([0.25, 0.5, 1])).downscaled(by: 1)
        XCTAssertEqual(floats.values, .float32([0.25, 0.5, 1]))

        try folder.write(png8(ImageSize(height: 1, width: 9), channels: 1, seed: 5).bytes, "thin.png", in: "big")
        assertThrowsDataError(try DatasetImport.run(source: folder.path("big"), to: output, options: .init(downscale: 2))) {
            $0.description.hasPrefix(self.folder.path("big/thin.png")) && $0.description.contains("smaller than --downscale 2")
        }
    }

    func testChannelsConversion() throws {
        let (rgb, planar) = png8(ImageSize(height: 2, width: 3), channels: 3, seed: 6)
        try folder.write(rgb, "a.png", in: "mix")
        try folder.write(png8(ImageSize(height: 4, width: 1), channels: 1, seed: 7).bytes, "b.png", in: "mix")
        let grey = folder.path("grey.h5")
        XCTAssertEqual(try DatasetImport.run(source: folder.path("mix"), to: grey, options: .init(channels: 1)).channels, 1)
        let luma = (0..<6).map { p in (19595 * Int(planar[p]) + 38470 * Int(planar[6 + p]) + 7471 * Int(planar[12 + p]) + 32768) >> 16 }
        XCTAssertEqual(try stored(grey, .train, 0), luma)

        let (greyBytes, greyPlanar) = png8(ImageSize(height: 3, width: 3), channels: 1, seed: 8)
        try folder.write(greyBytes, "a.png", in: "greys")
        try folder.write(greyBytes, "b.png", in: "greys")
        let colour = folder.path("colour.h5")
        XCTAssertEqual(try DatasetImport.run(source: folder.path("greys"), to: colour, options: .init(channels: 3)).channels, 3)
        XCTAssertEqual(try stored(colour, .train, 0), (greyPlanar + greyPlanar + greyPlanar).map(Int.init))
    }

    func testSkipBadCountsTheFilesAndWithoutItNothingIsWritten() throws {
        let size = ImageSize(height: 4, width: 4)
        for k in [0, 2, 4, 5] { try folder.write(png8(size, channels: 3, seed: k).bytes, "\(k).png", in: "some-bad") }
        try folder.write(Array("not an image".utf8), "1.png", in: "some-bad")
        let whole = png8(size, channels: 3, seed: 3).bytes
        try folder.write(Array(whole.prefix(whole.count - 30)), "3.png", in: "some-bad")   // header fine, pixels cut

        let output = folder.path("skipped.h5")
        let summary = try AtomicOutput.write(to: output) {
            try DatasetImport.run(source: folder.path("some-bad"), to: $0, options: .init(validCount: 1, skipBad: true))
        }
        XCTAssertEqual(summary.counts, [.train: 3, .valid: 1])
        XCTAssertEqual(summary.skipped.map { URL(fileURLWithPath: $0.path).lastPathComponent }, ["1.png", "3.png"])
        XCTAssertTrue(summary.description.contains("skipped 2 bad files: 1.png (starts with neither the PNG nor the JPEG signature), 3.png (cannot be decoded as PNG"),
                      summary.description)
        let train = try ImageDataset(path: output, split: .train)
        XCTAssertEqual(train.count, 3, "the split written in one array shrinks to the images read")
        XCTAssertEqual(try stored(output, .train, 2), png8(size, channels: 3, seed: 4).planar.map(Int.init))
        XCTAssertTrue(try XCTUnwrap(DatasetDescription(path: output).attributes["provenance"]).description.contains("2 bad files skipped"))

        let refused = folder.path("refused.h5")
        assertThrowsDataError(try AtomicOutput.write(to: refused) { try DatasetImport.run(source: folder.path("some-bad"), to: $0) }) {
            $0.description.hasPrefix(self.folder.path("some-bad/1.png") + ": starts with neither")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains("refused") }, [],
                       "no output and no partial file is left")
        assertThrowsDataError(try DatasetImport.run(source: try XCTUnwrap(Bundle.module.path(forResource: "stored", ofType: "npz", inDirectory: "Fixtures")),
                                                    to: refused, options: .init(skipBad: true))) {
            $0.description.contains("--skip-bad")
        }
    }

    func testProgressLines() throws {
        for k in 0..<4 { try folder.write(png8(ImageSize(height: 2 + k, width: 3), channels: 1, seed: k).bytes, "\(k).png", in: "progress") }
        final class Lines: @unchecked Sendable {
            let lock = NSLock()
            var lines: [String] = []
            func append(_ line: String) { lock.withLock { lines.append(line) } }
        }
        let lines = Lines()
        _ = try DatasetImport.run(source: folder.path("progress"), to: folder.path("progress.h5"),
                                  options: .init(progress: { lines.append($0) }, progressInterval: .zero))
        XCTAssertEqual(lines.lines.count, 4)
        XCTAssertTrue(lines.lines[3].hasPrefix("imported 4 of 4 images (100%) in "), lines.lines[3])
    }
}
