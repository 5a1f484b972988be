import MSData
import MSTestSupport
import XCTest

final class HDF5FileTests: XCTestCase {
    var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.remove() }

    func testDatasetsOfEveryElementTypeRoundTrip() throws {
        let path = folder.path("types.h5")
        let file = try HDF5File(creatingAt: path)
        try file.createDataset("/a/bytes", elementType: .uint8, shape: [2, 3])
        try file.write([0, 1, 2, 253, 254, 255] as [UInt8], to: "/a/bytes")
        try file.createDataset("/a/b/longs", elementType: .int64, shape: [3], chunk: [1])
        try file.write([Int64.min, 0, Int64.max], to: "/a/b/longs")
        try file.createDataset("/floats", elementType: .float32, shape: [2, 2, 2])
        try file.write((0..<8).map { Float($0) / 7 }, to: "/floats")
        try file.createDataset("/doubles", elementType: .float64, shape: [2])
        try file.write([Double.pi, -1e300], to: "/doubles")
        try file.close()

        let reopened = try HDF5File(openingAt: path)
        XCTAssertEqual(try reopened.read(UInt8.self, from: "/a/bytes"), [0, 1, 2, 253, 254, 255])
        XCTAssertEqual(try reopened.read(Float.self, from: "/a/bytes"), [0, 1, 2, 253, 254, 255], "uint8 is converted to Float")
        XCTAssertEqual(try reopened.read(Int64.self, from: "/a/b/longs"), [Int64.min, 0, Int64.max])
        XCTAssertEqual(try reopened.read(Float.self, from: "/floats"), (0..<8).map { Float($0) / 7 })
        XCTAssertEqual(try reopened.read(Double.self, from: "/doubles"), [Double.pi, -1e300])
        XCTAssertEqual(try reopened.datasetInfo("/a/bytes"), HDF5DatasetInfo(shape: [2, 3], elementType: .uint8))
        XCTAssertEqual(try reopened.datasetInfo("/a/b/longs"), HDF5DatasetInfo(shape: [3], elementType: .int64))
        XCTAssertEqual(try reopened.datasetInfo("/floats").elementType, .float32)
        XCTAssertEqual(try reopened.datasetInfo("/doubles").elementType, .float64)
        XCTAssertTrue(try reopened.exists("/a/b"))
        XCTAssertFalse(try reopened.exists("/a/c/d"))
    }

    func testHyperslabsAlongAxisZero() throws {
        let file = try HDF5File(creatingAt: folder.path("rows.h5"))
        try file.createDataset("/x", elementType: .float32, shape: [4, 2, 3], chunk: [1, 2, 3])
        try file.write((0..<12).map(Float.init), to: "/x", rows: 0..<2)
        try file.write((12..<24).map(Float.init), to: "/x", rows: 2..<4)
        XCTAssertEqual(try file.read(Float.self, from: "/x", rows: 1..<3), (6..<18).map(Float.init))
        XCTAssertEqual(try file.read(Float.self, from: "/x"), (0..<24).map(Float.init))
        XCTAssertEqual(try file.read(Float.self, from: "/x", rows: 2..<2), [])
        try file.close()
    }

    func testAttributesRoundTripAndReplace() throws {
        let path = folder.path("attributes.h5")
        let file = try HDF5File(creatingAt: path)
        try file.createGroup("/g/h")
        try file.setAttribute("count", .int64(-7))
        try file.setAttribute("rate", .double(0.125), on: "/g/h")
        try file.setAttribute("name", .string("dead leaves ∝ r^-3"))
        try file.setAttribute("empty", .string(""))
        try file.setAttribute("count", .int64(42))
        try file.flush()
        try file.close()

        let reopened = try HDF5File(openingAt: path)
        XCTAssertEqual(try reopened.attribute("count"), .int64(42))
        XCTAssertEqual(try reopened.attribute("rate", on: "/g/h"), .double(0.125))
        XCTAssertEqual(try reopened.attribute("name"), .string("dead leaves ∝ r^-3"))
        XCTAssertEqual(try reopened.attribute("empty"), .string(""))
        XCTAssertNil(try reopened.attribute("absent"))
    }

    func testFailuresNameTheFile() throws {
        let missing = folder.path("missing.h5")
        assertThrowsDataError(try HDF5File(openingAt: missing)) { $0 == .missingFile(path: missing) }
        let text = folder.path("text.h5")
        try "not hdf5".write(toFile: text, atomically: true, encoding: .utf8)
        assertThrowsDataError(try HDF5File(openingAt: text)) { $0 == .notHDF5(path: text) }
        assertThrowsDataError(try HDF5File(openingAt: folder.url.path)) { $0 == .notHDF5(path: self.folder.url.path) }
        let unwritable = folder.path("no-such-folder/file.h5")
        assertThrowsDataError(try HDF5File(creatingAt: unwritable)) {
            if case .cannotWrite(unwritable, _) = $0 { return true }
            return false
        }
        let file = try HDF5File(creatingAt: folder.path("empty.h5"))
        assertThrowsDataError(try file.read(Float.self, from: "/nothing")) {
            if case .missingObject(_, let object, _) = $0 { return object.contains("/nothing") && $0.description.contains("empty.h5") }
            return false
        }
    }
}
