import Foundation
import MSData
import MSTestSupport
import XCTest

/// PNG and JPEG decoding, folder import and `.npz` archives. PNG files are written by the
/// tests themselves (`png(...)`); the JPEG and `.npz` fixtures come from
/// tools/make_import_fixtures.py.
final class ImageImportTests: XCTestCase {
    var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    // MARK: Helpers

    @discardableResult
    private func write(_ bytes: [UInt8], _ name: String, in subfolder: String? = nil) throws -> String {
        try folder.write(bytes, name, in: subfolder)
    }

    private func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: name)
        return try XCTUnwrap(Bundle.module.url(forResource: url.deletingPathExtension().lastPathComponent, withExtension: url.pathExtension,
                                               subdirectory: "Fixtures"), "missing fixture \(name)").path
    }

    private func pixels(_ image: ImageArray) -> [UInt8] {
        guard case .uint8(let values) = image.values else { XCTFail("expected uint8 pixels"); return [] }
        return values
    }

    /// Every sample of `split` in 0...255.
    private func samples(_ path: String, _ split: Split) throws -> [Float] {
        let dataset = try ImageDataset(path: path, split: split)
        return try dataset.samples(Array(0..<dataset.count)).scalars.map { (($0 + 1) / 2 * 255).rounded() }
    }

    private func decode(_ bytes: [UInt8], _ name: String) throws -> ImageArray {
        let (image, format) = try ImageCodecs.decode(try write(bytes, name))
        XCTAssertEqual(format, .png)
        return image
    }

    // MARK: PNG

    func testPNGColourTypesDecodeExactly() throws {
        // Grey 3×2.
        let grey = try decode(png(width: 3, height: 2, colorType: 0, rows: [[0, 100, 255], [7, 8, 9]]), "grey.png")
        XCTAssertEqual([grey.count, grey.channels, grey.height, grey.width], [1, 1, 2, 3])
        XCTAssertEqual(pixels(grey), [0, 100, 255, 7, 8, 9])

        // Grey + alpha: opaque pixels keep their value, transparent ones become black.
        let greyAlpha = try decode(png(width: 2, height: 1, colorType: 4, rows: [[200, 255, 90, 0]]), "ga.png")
        XCTAssertEqual(greyAlpha.channels, 1)
        XCTAssertEqual(pixels(greyAlpha), [200, 0])

        // RGB 2×2, planar after decoding.
        let rgb = try decode(png(width: 2, height: 2, colorType: 2, rows: [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]), "rgb.png")
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(pixels(rgb), [1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12])

        // RGBA: opaque exact, transparent black.
        let rgba = try decode(png(width: 2, height: 1, colorType: 6, rows: [[10, 20, 30, 255, 40, 50, 60, 0]]), "rgba.png")
        XCTAssertEqual(pixels(rgba), [10, 0, 20, 0, 30, 0])

        // Palette (4-bit indices, two per byte) with one fully transparent entry.
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255]
        let indexed = try decode(png(width: 4, height: 1, bitDepth: 4, colorType: 3, rows: [[0x01, 0x22]],
                                     palette: palette, transparency: [255, 255, 0]), "palette.png")
        XCTAssertEqual(indexed.channels, 3)
        XCTAssertEqual(pixels(indexed), [255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0])

        // 16-bit RGB (no gAMA chunk): kept as uint16, exactly.
        let sixteen: [UInt16] = [0, 257 * 128, 65535, 0x1234, 257 * 3, 257 * 250]
        let rgb16 = try decode(png(width: 2, height: 1, bitDepth: 16, colorType: 2,
                                   rows: [sixteen.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }]), "rgb16.png")
        XCTAssertEqual(rgb16.values, .uint16([0, 0x1234, 257 * 128, 257 * 3, 65535, 257 * 250]))
    }

    // MARK: JPEG

    func testJPEGDecodesWithinTolerance() throws {
        let (grey, greyFormat) = try ImageCodecs.decode(try fixture("grey.jpg"))
        XCTAssertEqual(greyFormat, .jpeg)
        XCTAssertEqual([grey.count, grey.channels, grey.height, grey.width], [1, 1, 16, 16])
        for (i, value) in pixels(grey).enumerated() {
            let (y, x) = i.quotientAndRemainder(dividingBy: 16)
            XCTAssertEqual(Double(value), Double(8 * (x + y) + 4), accuracy: 3, "grey pixel (\(y), \(x))")
        }
        let (rgb, _) = try ImageCodecs.decode(try fixture("rgb.jpg"))
        XCTAssertEqual([rgb.channels, rgb.height, rgb.width], [3, 16, 16])
        for (i, value) in pixels(rgb).enumerated() {
            let (c, p) = i.quotientAndRemainder(dividingBy: 256)
            let (y, x) = p.quotientAndRemainder(dividingBy: 16)
            XCTAssertEqual(Double(value), Double([16 * x + 8, 16 * y + 8, 128][c]), accuracy: 4, "channel \(c) pixel (\(y), \(x))")
        }
    }

    // MARK: Errors

    func testDamagedImagesNameTheFile() throws {
        let whole = png(width: 4, height: 4, colorType: 0, rows: Array(repeating: [1, 2, 3, 4], count: 4))
        let truncatedPNG = try write(Array(whole.prefix(whole.count - 30)), "cut.png")
        assertThrowsDataError(try ImageCodecs.decode(truncatedPNG)) {
            if case .malformedSource(truncatedPNG, let reason) = $0 { return reason.contains("PNG") }; return false
        }
        let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try fixture("rgb.jpg"))))
        let truncatedJPEG = try write(Array(jpeg.prefix(jpeg.count / 2)), "cut.jpg")
        assertThrowsDataError(try ImageCodecs.decode(truncatedJPEG)) {
            if case .malformedSource(truncatedJPEG, let reason) = $0 { return reason.contains("JPEG") }; return false
        }
        let garbage = try write(Array("not an image".utf8), "text.jpeg")
        assertThrowsDataError(try ImageCodecs.decode(garbage)) { $0.description.hasPrefix(garbage + ": starts with neither") }

        // In a folder import the error names the damaged file, not only the folder.
        try write(whole, "a.png", in: "photos")
        let damaged = try write(Array(whole.prefix(40)), "b.png", in: "photos")
        assertThrowsDataError(try DatasetImport.run(source: folder.path("photos"), to: folder.path("x.h5"))) {
            $0.description.hasPrefix(damaged + ":")
        }
    }

    func testFolderErrors() throws {
        let empty = folder.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try write(Array("x".utf8), "notes.txt", in: "empty")
        assertThrowsDataError(try DatasetImport.run(source: empty.path, to: folder.path("x.h5"))) { $0.description.contains("no PNG/JPEG files") }

        try write(png(width: 2, height: 2, colorType: 0, rows: [[1, 2], [3, 4]]), "a.png", in: "mixed")
        try write(png(width: 3, height: 2, colorType: 0, rows: [[1, 2, 3], [4, 5, 6]]), "b.png", in: "mixed")
        XCTAssertEqual(try DatasetImport.run(source: folder.path("mixed"), to: folder.path("x.h5")).largest, ImageSize(height: 2, width: 3),
                       "images of different sizes keep them")
        XCTAssertEqual(try DatasetImport.run(source: folder.path("mixed"), to: folder.path("x.h5"), options: .init(size: 2)).counts,
                       [.train: 1, .valid: 1])

        let single = try write(png(width: 2, height: 2, colorType: 0, rows: [[1, 2], [3, 4]]), "one.png")
        assertThrowsDataError(try DatasetImport.run(source: single, to: folder.path("x.h5"))) { $0.description.contains("import the folder") }
    }

    // MARK: Folder import

    func testFolderImportEndToEnd() throws {
        // Written out of order, with mixed case, a JPEG, a hidden file and a non-image.
        let red = png(width: 4, height: 4, colorType: 2, rows: Array(repeating: Array(repeating: [200, 10, 30], count: 4).flatMap { $0 }, count: 4))
        let greyRamp = png(width: 4, height: 4, colorType: 0, rows: (0..<4).map { y in (0..<4).map { x in UInt8(16 * (4 * y + x)) } })
        try write(greyRamp, "b_grey.PNG", in: "photos")
        try write(red, "a_red.png", in: "photos")
        try write([UInt8](try Data(contentsOf: URL(fileURLWithPath: try fixture("rgb.jpg")))), "c_gradient.jpg", in: "photos")
        try write(Array("ignored".utf8), ".hidden.png", in: "photos")
        try write(Array("ignored".utf8), "README.txt", in: "photos")
        XCTAssertEqual(try ImageFolder.imageFiles(folder.path("photos")).map { URL(fileURLWithPath: $0).lastPathComponent },
                       ["a_red.png", "b_grey.PNG", "c_gradient.jpg"])

        let output = folder.path("photos.h5")
        let summary = try DatasetImport.run(source: folder.path("photos"), to: output, options: .init(size: 4, validCount: 1))
        XCTAssertEqual(summary.counts, [.train: 2, .valid: 1])
        XCTAssertEqual([summary.channels, summary.height, summary.width], [3, 4, 4])
        XCTAssertEqual(summary.storage, .uint8)
        let description = try DatasetDescription(path: output)
        guard case .string(let provenance)? = description.attributes["provenance"] else { return XCTFail("no provenance") }
        XCTAssertTrue(provenance.contains(folder.path("photos")) && provenance.contains("folder of 3 images: 2 PNG, 1 JPEG"), provenance)

        let train = try samples(output, .train)
        XCTAssertEqual(Array(train[0 ..< 48]), [200, 10, 30].flatMap { Array(repeating: Float($0), count: 16) })
        let ramp = (0..<16).map { Float(16 * $0) }
        XCTAssertEqual(Array(train[48 ..< 96]), ramp + ramp + ramp, "grey is repeated into R, G and B")
        // The 16×16 JPEG is box-averaged to 4×4: red of column block j averages 16·x + 8 over x = 4j…4j+3.
        let valid = try samples(output, .valid)
        for (i, value) in valid[0 ..< 16].enumerated() {
            XCTAssertEqual(Double(value), Double(64 * (i % 4) + 32), accuracy: 3)
        }

        // --channels 1: RGB becomes its BT.601 luma.
        let greyOutput = folder.path("grey.h5")
        XCTAssertEqual(try DatasetImport.run(source: folder.path("photos"), to: greyOutput, options: .init(size: 4, validCount: 1, channels: 1)).channels, 1)
        let luma = ((19595 * 200 + 38470 * 10 + 7471 * 30 + 32768) >> 16)
        XCTAssertEqual(Array(try samples(greyOutput, .train)[0 ..< 16]), Array(repeating: Float(luma), count: 16))
    }

    // MARK: .npz

    func testNpzStoredDefaultArray() throws {
        let path = try fixture("stored.npz")
        let archive = try NpzArchive(path: path)
        XCTAssertEqual(archive.arrayNames, ["labels", "images"])
        XCTAssertEqual(try archive.defaultArrayName(), "images")
        let output = folder.path("stored.h5")
        let summary = try DatasetImport.run(source: path, to: output)
        XCTAssertEqual(summary.counts, [.train: 2, .valid: 1])
        XCTAssertEqual([summary.channels, summary.height, summary.width], [3, 4, 5])
        var expected: [Float] = []   // NHWC element i = i % 251, read back as NCHW
        for n in 0..<3 {
            for c in 0..<3 {
                for y in 0..<4 {
                    for x in 0..<5 { expected.append(Float((((n * 4 + y) * 5 + x) * 3 + c) % 251)) }
                }
            }
        }
        XCTAssertEqual(try samples(output, .train) + samples(output, .valid), expected)
        assertThrowsDataError(try archive.readImages("labels")) { $0.description.hasPrefix("\(path):labels:") }
        assertThrowsDataError(try archive.readImages("absent")) { $0.description.contains("labels, images") }
    }

    func testNpzDeflatedTrainAndValidArrays() throws {
        let path = try fixture("deflated.npz")
        let archive = try NpzArchive(path: path)
        XCTAssertEqual(archive.arrayNames, ["train", "valid"])
        assertThrowsDataError(try archive.defaultArrayName()) { $0.description.contains("--array") }
        let output = folder.path("deflated.h5")
        let summary = try DatasetImport.run(source: path, to: output, options: .init(array: "train", validArray: "valid"))
        XCTAssertEqual(summary.counts, [.train: 4, .valid: 2])
        XCTAssertEqual(summary.storage, .float32)
        let dataset = try ImageDataset(path: output, split: .valid)
        let valid = try dataset.samples([0, 1]).scalars.map { ($0 + 1) / 2 }
        for (i, value) in valid.enumerated() { XCTAssertEqual(value, Float(Double(i) / 15), accuracy: 1e-6) }
        assertThrowsDataError(try DatasetImport.run(source: path, to: output, options: .init(validCount: 1, array: "train", validArray: "valid"))) {
            if case .invalidOption = $0 { return true }; return false
        }
    }

    func testDamagedNpzNamesTheArray() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try fixture("deflated.npz"))))
        bytes[80] ^= 0xFF   // inside the deflated data of the first member, "train"
        let damaged = try write(bytes, "damaged.npz")
        assertThrowsDataError(try NpzArchive(path: damaged).readImages("train")) { $0.description.hasPrefix("\(damaged):train:") }
        let truncated = try write(Array(bytes.prefix(100)), "truncated.npz")
        assertThrowsDataError(try NpzArchive(path: truncated)) { $0.description.contains("zip end-of-central-directory") }
        let npy = try write([0x93] + Array("NUMPY".utf8), "images.npy")
        assertThrowsDataError(try DatasetImport.run(source: npy, to: folder.path("x.h5"), options: .init(array: "images"))) {
            $0.description.contains("--array")
        }
    }
}
