import Foundation
import MSData
import MSReport
import XCTest

final class ImageGridTests: XCTestCase {
    /// Writes `bytes` to a temporary PNG file and decodes it with the importer's decoder.
    private func decodePNG(_ bytes: [UInt8]) throws -> ImageArray {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mstrain-report-\(UUID().uuidString).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (image, format) = try ImageCodecs.decode(path)
        XCTAssertEqual(format, .png)
        return image
    }

    func testDataURIDecodesBackToTheImage() throws {
        let values = (0..<(3 * 2 * 5)).map { UInt8(($0 * 37) % 256) }
        let image = ImageArray(count: 1, channels: 3, height: 2, width: 5, values: .uint8(values))
        let uri = DataURI.png(try ImageCodecs.encodePNG(image))
        XCTAssertTrue(uri.hasPrefix("data:image/png;base64,"))
        let decoded = try XCTUnwrap(DataURI.decode(uri))
        XCTAssertEqual(decoded.mediaType, "image/png")
        XCTAssertEqual(try decodePNG(decoded.bytes), image)
    }

    func testGreyImageAndIndexRoundTrip() throws {
        let values = (0..<(2 * 1 * 3 * 4)).map { UInt8($0 * 10) }
        let images = ImageArray(count: 2, channels: 1, height: 3, width: 4, values: .uint8(values))
        let decoded = try decodePNG(try ImageCodecs.encodePNG(images, index: 1))
        XCTAssertEqual(decoded, images.slice(1..<2))
    }

    func testGridHasOneImagePerCellWithCaptions() throws {
        let image = ImageArray(count: 1, channels: 1, height: 2, width: 2, values: .uint8([0, 64, 128, 255]))
        let grid = ImageGrid(columnTitles: ["input", "output"],
                             rows: [[.init(image: image, caption: "12.0 dB"), .init(image: image, caption: "a<b")]])
        let html = try grid.html()
        XCTAssertEqual(html.components(separatedBy: "<img src=\"data:image/png;base64,").count - 1, 2)
        XCTAssertTrue(html.contains("<th>input</th><th>output</th>"))
        XCTAssertTrue(html.contains("a&lt;b"))
    }

    func testMalformedDataURIsAreRejected() {
        XCTAssertNil(DataURI.decode("image/png;base64,AAAA"))
        XCTAssertNil(DataURI.decode("data:image/png,AAAA"))
        XCTAssertNil(DataURI.decode("data:image/png;base64,@@@"))
    }
}
