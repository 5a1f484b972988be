import MSData
import MSTestSupport
import XCTest

final class ImportTests: XCTestCase {
    var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// A `.npy` file (format 1.0) holding `body` with NumPy type `descr` and `shape`.
    private func writeNumpy(_ name: String, descr: String, shape: [Int], body: [UInt8]) throws -> String {
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = header.utf8.count
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + body
        let path = folder.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Reads every sample of `split` back on [0, 1].
    private func unitSamples(_ path: String, _ split: Split) throws -> [Float] {
        let dataset = try ImageDataset(path: path, split: split)
        return try dataset.samples(Array(0..<dataset.count)).scalars.map { ($0 + 1) / 2 }
    }

    func testNumpyUInt8NHWCRoundTrip() throws {
        // [N=5, H=2, W=4, C=3]: value = n·24 + (y·4 + x)·3 + c, which NCHW order permutes.
        let body = (0..<120).map { UInt8($0) }
        let source = try writeNumpy("images.npy", descr: "|u1", shape: [5, 2, 4, 3], body: body)
        let output = folder.path("imported.h5")
        let summary = try DatasetImport.run(source: source, to: output, options: .init(validCount: 2))
        XCTAssertEqual(summary.counts, [.train: 3, .valid: 2])
        XCTAssertEqual([summary.channels, summary.height, summary.width], [3, 2, 4])
        var expected: [Float] = []
        for n in 0..<5 {
            for c in 0..<3 {
                for p in 0..<8 { expected.append(Float(n * 24 + p * 3 + c) / 255) }
            }
        }
        let train = try unitSamples(output, .train), valid = try unitSamples(output, .valid)
        for (got, want) in zip(train + valid, expected) { XCTAssertEqual(got, want, accuracy: 1e-6) }
        XCTAssertEqual(try DatasetDescription(path: output).splits[0].info, HDF5DatasetInfo(shape: [3, 3, 2, 4], elementType: .uint8))
    }

    func testNumpyFloat32NCHWAndGreyRoundTrip() throws {
        let values = (0..<64).map { Float($0) / 63 }
        let body = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let nchw = try writeNumpy("nchw.npy", descr: "<f4", shape: [4, 1, 4, 4], body: body)
        let output = folder.path("nchw.h5")
        _ = try DatasetImport.run(source: nchw, to: output)
        for (got, want) in zip(try unitSamples(output, .train) + unitSamples(output, .valid), values) { XCTAssertEqual(got, want, accuracy: 1e-6) }
        XCTAssertEqual(try DatasetDescription(path: output).splits[0].info.elementType, .float32)

        let grey = try writeNumpy("grey.npy", descr: "<f4", shape: [4, 4, 4], body: body)
        _ = try DatasetImport.run(source: grey, to: folder.path("grey.h5"))
        let greyTrain = try unitSamples(folder.path("grey.h5"), .train)
        XCTAssertEqual(greyTrain.count, 48)
        for (got, want) in zip(greyTrain, values) { XCTAssertEqual(got, want, accuracy: 1e-6) }
    }

    func testResizeOnImport() throws {
        // One grey 4×6 image per sample; centre crop 4×4, then 2×2 box averages.
        let body = (0..<48).map { UInt8($0 * 4) }
        let source = try writeNumpy("wide.npy", descr: "|u1", shape: [2, 4, 6], body: body)
        let output = folder.path("small.h5")
        let summary = try DatasetImport.run(source: source, to: output, options: .init(size: 2))
        XCTAssertEqual([summary.height, summary.width], [2, 2])
        let first = try unitSamples(output, .train).map { ($0 * 255).rounded() }
        // rows 0–1, columns 1–2 of image 0: values 4·{1, 2, 7, 8} → mean 18
        XCTAssertEqual(first, [18, 26, 66, 74])
    }

    func testNumpyErrors() throws {
        let integers = try writeNumpy("i32.npy", descr: "<i4", shape: [2, 1, 2, 2], body: [UInt8](repeating: 0, count: 32))
        assertThrowsDataError(try NumpyFile.readImages(integers)) { if case .unsupportedSource = $0 { return true }; return false }
        let ambiguous = try writeNumpy("ambiguous.npy", descr: "|u1", shape: [2, 3, 2, 3], body: [UInt8](repeating: 0, count: 36))
        assertThrowsDataError(try NumpyFile.readImages(ambiguous)) { $0.description.contains("--layout") }
        XCTAssertEqual(try NumpyFile.readImages(ambiguous, layout: .nhwc).height, 3)
        let short = try writeNumpy("short.npy", descr: "|u1", shape: [2, 3, 2, 2], body: [1, 2, 3])
        assertThrowsDataError(try NumpyFile.readImages(short)) { if case .malformedSource = $0 { return true }; return false }
        let outOfRange = try writeNumpy("range.npy", descr: "<f4", shape: [2, 1, 1],
                                        body: [Float(0.5), 2].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        assertThrowsDataError(try NumpyFile.readImages(outOfRange)) { $0.description.contains("[0, 1]") }
    }

    /// A CIFAR-10 batch as Python 2's cPickle (protocol 2) writes it: a dict of byte-string
    /// keys whose `data` is a NumPy uint8 array [count, 3072].
    private func cifarBatch(_ pixels: [UInt8], count: Int) -> [UInt8] {
        func short(_ s: String) -> [UInt8] { [UInt8(ascii: "U"), UInt8(s.utf8.count)] + Array(s.utf8) }
        func global(_ module: String, _ name: String) -> [UInt8] { [UInt8(ascii: "c")] + Array("\(module)\n\(name)\n".utf8) }
        let dtype = global("numpy", "dtype") + short("u1") + [UInt8(ascii: "K"), 0, UInt8(ascii: "K"), 1, 0x87, UInt8(ascii: "R")]
            + [UInt8(ascii: "("), UInt8(ascii: "K"), 3] + short("|") + Array("NNN".utf8)
            + [UInt8(ascii: "J"), 0xFF, 0xFF, 0xFF, 0xFF, UInt8(ascii: "J"), 0xFF, 0xFF, 0xFF, 0xFF, UInt8(ascii: "K"), 0]
            + [UInt8(ascii: "t"), UInt8(ascii: "b")]
        let length = withUnsafeBytes(of: UInt32(pixels.count).littleEndian, Array.init)
        let array = global("numpy.core.multiarray", "_reconstruct") + global("numpy", "ndarray")
            + [UInt8(ascii: "K"), 0, 0x85] + short("b") + [0x87, UInt8(ascii: "R"), UInt8(ascii: "q"), 7]
            + [UInt8(ascii: "("), UInt8(ascii: "K"), 1, UInt8(ascii: "M"), UInt8(count & 0xFF), UInt8(count >> 8),
               UInt8(ascii: "M"), 0x00, 0x0C, 0x86] + dtype + [0x89, UInt8(ascii: "T")] + length + pixels
            + [UInt8(ascii: "t"), UInt8(ascii: "b")]
        let labels = short("labels") + [UInt8(ascii: "]"), UInt8(ascii: "q"), 3, UInt8(ascii: "(")]
            + (0..<count).flatMap { [UInt8(ascii: "K"), UInt8($0 % 10)] } + [UInt8(ascii: "e")]
        return [0x80, 2, UInt8(ascii: "}"), UInt8(ascii: "q"), 1, UInt8(ascii: "(")]
            + short("batch_label") + short("training batch 1 of 5") + labels + short("data") + array
            + [UInt8(ascii: "u"), UInt8(ascii: ".")]
    }

    func testCIFARBatchesImport() throws {
        let pixels = (0..<(3 * 3072)).map { UInt8($0 % 251) }
        let cifar = folder.url.appendingPathComponent("cifar-10-batches-py")
        try FileManager.default.createDirectory(at: cifar, withIntermediateDirectories: true)
        try Data(cifarBatch(Array(pixels[..<6144]), count: 2)).write(to: cifar.appendingPathComponent("data_batch_1"))
        try Data(cifarBatch(Array(pixels[6144...]), count: 1)).write(to: cifar.appendingPathComponent("data_batch_2"))
        try Data(cifarBatch(Array(pixels[..<3072]), count: 1)).write(to: cifar.appendingPathComponent("test_batch"))

        let batch = try CIFAR10.readBatch(cifar.appendingPathComponent("data_batch_1").path)
        XCTAssertEqual([batch.count, batch.channels, batch.height, batch.width], [2, 3, 32, 32])
        XCTAssertEqual(batch.values, .uint8(Array(pixels[..<6144])))

        let output = folder.path("cifar.h5")
        let summary = try DatasetImport.run(source: cifar.path, to: output)
        XCTAssertEqual(summary.counts, [.train: 3, .valid: 1])
        XCTAssertEqual(try unitSamples(output, .train).map { UInt8(($0 * 255).rounded()) }, pixels)
        assertThrowsDataError(try DatasetImport.run(source: cifar.path, to: output, options: .init(validCount: 1))) {
            if case .invalidOption = $0 { return true }; return false
        }
    }

    func testUnsupportedSourcesSayWhatToDo() throws {
        let images = folder.url.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        assertThrowsDataError(try DatasetImport.run(source: images.path, to: self.folder.path("x.h5"))) {
            $0.description.contains("PNG/JPEG") && $0.description.contains(".npy")
        }
        let npz = folder.path("arrays.npz")
        try Data([0x50, 0x4B]).write(to: URL(fileURLWithPath: npz))
        assertThrowsDataError(try DatasetImport.run(source: npz, to: self.folder.path("x.h5"))) { $0.description.contains(".npz") }
        let missing = folder.path("absent.npy")
        assertThrowsDataError(try DatasetImport.run(source: missing, to: self.folder.path("x.h5"))) { $0 == .missingFile(path: missing) }
    }

    func testAtomicOutputLeavesNothingOnFailure() throws {
        let path = folder.path("atomic.h5")
        XCTAssertThrowsError(try AtomicOutput.write(to: path) { temporary in
            try "partial".write(toFile: temporary, atomically: false, encoding: .utf8)
            throw DataError.invalidOption("stop")
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path), [])
        try AtomicOutput.write(to: path) { try "done".write(toFile: $0, atomically: false, encoding: .utf8) }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "done")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path), ["atomic.h5"])
    }
}
