import Foundation
import MSData
import MSTestSupport
import XCTest

final class HDF5SealTests: XCTestCase {
    var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    /// A sealed file with one float dataset.
    private func sealedFile(_ name: String) throws -> String {
        let path = folder.path(name)
        let file = try HDF5File(creatingAt: path, userBlockBytes: HDF5Seal.headerBytes)
        try file.createDataset("/values", elementType: .float32, shape: [1000])
        try file.write((0..<1000).map(Float.init), to: "/values")
        try file.close()
        try HDF5Seal.seal(path, format: "test-format", version: 3)
        return path
    }

    private func problem(_ path: String, format: String = "test-format", version: Int64 = 3) -> HDF5SealError.Kind? {
        do { try HDF5Seal.verify(path, format: format, version: version) } catch let error as HDF5SealError {
            XCTAssertTrue(error.description.hasPrefix(path + ": "), error.description)
            return error.kind
        } catch { XCTFail("unexpected \(error)") }
        return nil
    }

    /// Bitwise CRC-32 (reflected polynomial 0xEDB88320), the reference for zlib's.
    private func referenceCRC32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    func testSealedFileVerifiesAndStillOpensWithHDF5() throws {
        let path = try sealedFile("good.h5")
        XCTAssertNil(problem(path))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let header = String(decoding: bytes.prefix(HDF5Seal.headerBytes).prefix { $0 != 0 }, as: UTF8.self)
        let crc = String(referenceCRC32(bytes.dropFirst(HDF5Seal.headerBytes)), radix: 16)
        XCTAssertEqual(header, "test-format 3\ncrc32 \(String(repeating: "0", count: 8 - crc.count) + crc)\nbytes \(bytes.count)\n")
        let file = try HDF5File(openingAt: path)
        XCTAssertEqual(try file.read(Float.self, from: "/values"), (0..<1000).map(Float.init))
        try file.close()
    }

    func testDamageIsFoundBeforeHDF5OpensTheFile() throws {
        let good = try Data(contentsOf: URL(fileURLWithPath: try sealedFile("good.h5")))
        func variant(_ name: String, _ change: (inout Data) -> Void) throws -> String {
            var bytes = good
            change(&bytes)
            let path = folder.path(name)
            try bytes.write(to: URL(fileURLWithPath: path))
            return path
        }
        for offset in [0, 20, 300, HDF5Seal.headerBytes, HDF5Seal.headerBytes + 100, good.count / 2, good.count - 1] {
            let path = try variant("flip-\(offset).h5") { $0[offset] ^= 0x10 }
            let kind = problem(path)
            XCTAssertNotNil(kind, "a flipped bit at offset \(offset) is not found")
            if case .some(.otherFormat) = kind { XCTAssertEqual(offset, 0, "offset \(offset): \(String(describing: kind))") }
        }
        let truncated = try variant("truncated.h5") { $0 = $0.prefix(good.count - 10) }
        guard case .damaged(let reason)? = problem(truncated) else { return XCTFail("truncation not found") }
        XCTAssertTrue(reason.contains("truncated"), reason)
        guard case .damaged? = problem(try variant("extended.h5") { $0.append(0) }) else { return XCTFail("extension not found") }
        guard case .damaged? = problem(try variant("empty.h5") { $0 = Data() }) else { return XCTFail("empty file accepted") }
        XCTAssertEqual(problem(try variant("same.h5") { _ in }, format: "other"), .otherFormat(found: "test-format 3", expected: "other 3"))
        XCTAssertEqual(problem(try variant("same.h5") { _ in }, version: 4), .otherFormat(found: "test-format 3", expected: "test-format 4"))
        XCTAssertEqual(problem(folder.path("missing.h5")), .missing)
        XCTAssertEqual(problem(folder.path("")), .folder)
    }

    func testPlainHDF5FileIsRefusedAsUnsealed() throws {
        let path = folder.path("plain.h5")
        let file = try HDF5File(creatingAt: path)
        try file.createDataset("/x", elementType: .uint8, shape: [1])
        try file.close()
        XCTAssertEqual(problem(path), .unsealed(format: "test-format", version: 3))
    }
}
