import Foundation
import MSData

/// A table of images with column titles and a caption under each image, every image inline as
/// a PNG data URI and shown enlarged without smoothing (so pixels stay visible).
public struct ImageGrid: Sendable {
    public struct Cell: Sendable {
        /// uint8 images `[1, C, H, W]`, C = 1 or 3.
        public var image: ImageArray
        public var caption: String
        public init(image: ImageArray, caption: String) { (self.image, self.caption) = (image, caption) }
    }

    public var columnTitles: [String]
    /// Rows of cells, one per column.
    public var rows: [[Cell]]
    /// Width on the page of every image, in CSS pixels.
    public var displayWidth: Int

    public init(columnTitles: [String], rows: [[Cell]], displayWidth: Int = 160) {
        for row in rows { precondition(row.count == columnTitles.count, "ImageGrid: a row has \(row.count) cells for \(columnTitles.count) columns") }
        (self.columnTitles, self.rows, self.displayWidth) = (columnTitles, rows, displayWidth)
    }

    /// The grid as a `<table class="grid">` element.
    public func html() throws -> String {
        var html = "<table class=\"grid\"><thead><tr>" + columnTitles.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>"
            for cell in row {
                let uri = DataURI.png(try ImageCodecs.encodePNG(cell.image))
                html += "<td><img src=\"\(uri)\" width=\"\(displayWidth)\" alt=\"\(HTML.escape(cell.caption))\">"
                    + "<div class=\"caption\">\(HTML.escape(cell.caption))</div></td>"
            }
            html += "</tr>"
        }
        return html + "</tbody></table>"
    }
}

/// `data:` URIs (RFC 2397) with base64 content.
public enum DataURI {
    /// `data:image/png;base64,...` for PNG file bytes.
    public static func png(_ bytes: [UInt8]) -> String {
        "data:image/png;base64," + Data(bytes).base64EncodedString()
    }

    /// The media type and bytes of a base64 data URI; nil when `uri` is not one.
    public static func decode(_ uri: String) -> (mediaType: String, bytes: [UInt8])? {
        guard uri.hasPrefix("data:"), let comma = uri.firstIndex(of: ",") else { return nil }
        let header = uri[uri.index(uri.startIndex, offsetBy: 5)..<comma]
        guard header.hasSuffix(";base64"), let data = Data(base64Encoded: String(uri[uri.index(after: comma)...])) else { return nil }
        return (String(header.dropLast(";base64".count)), [UInt8](data))
    }
}
