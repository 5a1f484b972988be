import MSReport
import XCTest

final class HTMLTests: XCTestCase {
    func testEscapeReplacesEveryMarkupCharacter() {
        XCTAssertEqual(HTML.escape(#"<a href="x">Tom & Jerry's</a>"#),
                       "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;")
        XCTAssertEqual(HTML.escape("plain ünïcode text"), "plain ünïcode text")
    }

    func testPageEscapesTextAndKeepsRawMarkup() {
        var page = HTMLPage(title: "run <1>")
        page.paragraph("a < b")
        page.table(header: ["name", "link"], rows: [["x&y", .link("report", href: "a/b.html?x=\"1\"")]])
        page.raw("<svg></svg>")
        let html = page.render()
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<title>run &lt;1&gt;</title>"))
        XCTAssertTrue(html.contains("<p>a &lt; b</p>"))
        XCTAssertTrue(html.contains("<td>x&amp;y</td>"))
        XCTAssertTrue(html.contains("<a href=\"a/b.html?x=&quot;1&quot;\">report</a>"))
        XCTAssertTrue(html.contains("<svg></svg>"))
        XCTAssertFalse(html.contains("http"), "a self-contained page refers to nothing outside it")
    }
}
