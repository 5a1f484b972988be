/// A self-contained HTML page assembled section by section: the style sheet is inline and
/// figures are inline SVG or data URIs, so the file needs nothing else to display.
///
/// Text arguments are escaped; only `raw(_:)` takes markup (from `LineChart` or `ImageGrid`).
public struct HTMLPage: Sendable {
    /// A table cell: plain text, or text linking to `href` (a relative path or a fragment).
    public enum Cell: Sendable, ExpressibleByStringLiteral {
        case text(String)
        case link(String, href: String)

        public init(stringLiteral value: String) { self = .text(value) }

        var markup: String {
            switch self {
            case .text(let text): return HTML.escape(text)
            case .link(let text, let href): return "<a href=\"\(HTML.escape(href))\">\(HTML.escape(text))</a>"
            }
        }
    }

    public let title: String
    private var body: [String] = []

    public init(title: String) {
        self.title = title
        body.append("<h1>\(HTML.escape(title))</h1>")
    }

    /// A section heading (`<h2>`, or `<h3>` for `level` 3); `id` makes it a link target.
    public mutating func heading(_ text: String, level: Int = 2, id: String? = nil) {
        precondition((2...4).contains(level), "HTMLPage.heading: level \(level) is not 2, 3 or 4")
        let anchor = id.map { " id=\"\(HTML.escape($0))\"" } ?? ""
        body.append("<h\(level)\(anchor)>\(HTML.escape(text))</h\(level)>")
    }

    public mutating func paragraph(_ text: String) {
        body.append("<p>\(HTML.escape(text))</p>")
    }

    /// Text shown as is, in a fixed-width font (a configuration file, a Markdown table).
    public mutating func preformatted(_ text: String) {
        body.append("<pre>\(HTML.escape(text))</pre>")
    }

    /// A table with one header row; every row has as many cells as `header`.
    public mutating func table(header: [String], rows: [[Cell]]) {
        for row in rows { precondition(row.count == header.count, "HTMLPage.table: a row has \(row.count) cells for \(header.count) columns") }
        var html = "<table><thead><tr>" + header.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows { html += "<tr>" + row.map { "<td>\($0.markup)</td>" }.joined() + "</tr>" }
        body.append(html + "</tbody></table>")
    }

    /// Figures side by side (wrapping on narrow windows), each an SVG or other trusted markup.
    public mutating func figureRow(_ figures: [String]) {
        body.append("<div class=\"figures\">" + figures.map { "<figure>\($0)</figure>" }.joined() + "</div>")
    }

    /// Trusted markup, inserted as is.
    public mutating func raw(_ markup: String) {
        body.append(markup)
    }

    /// The complete document.
    public func render() -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(HTML.escape(title))</title>
        <style>
        \(HTMLPage.styleSheet)
        </style>
        </head>
        <body>
        \(body.joined(separator: "\n"))
        </body>
        </html>

        """
    }

    static let styleSheet = """
        body { font-family: sans-serif; margin: 24px auto; max-width: 1400px; padding: 0 16px; color: #222; background: #fff; }
        h1 { font-size: 24px; margin-bottom: 4px; }
        h2 { font-size: 19px; margin-top: 28px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
        h3 { font-size: 16px; margin-top: 20px; }
        p { max-width: 60em; line-height: 1.4; }
        table { border-collapse: collapse; margin: 8px 0; }
        th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; font-size: 14px; }
        th { background: #f2f2f2; }
        pre { background: #f6f6f6; border: 1px solid #ddd; padding: 8px; font-size: 13px; overflow-x: auto; max-width: 60em; }
        .figures { display: flex; flex-wrap: wrap; gap: 12px; }
        figure { margin: 0; }
        .grid td { text-align: center; vertical-align: top; border: none; padding: 4px; }
        .grid img { image-rendering: pixelated; display: block; margin: auto; border: 1px solid #999; }
        .grid .caption { font-size: 12px; color: #444; }
        """
}
