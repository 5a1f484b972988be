import MSReport
import XCTest

final class LineChartTests: XCTestCase {
    private func occurrences(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    func testOnePathPerSeriesWithItsColourAndLegend() {
        var chart = LineChart(title: "PSNR <dB>", x: .init(label: "step"), y: .init(label: "PSNR (dB)"))
        chart.series = [
            .init(name: "single", points: [(0, 10), (10, 12), (20, 13)]),
            .init(name: "multi & scale", points: [(0, 11), (20, 14)], markers: true),
            .init(name: "input", points: [(0, 9), (20, 9)], color: "#000000", style: .dashed),
        ]
        let svg = chart.svg()
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertTrue(svg.hasSuffix("</svg>"))
        XCTAssertEqual(occurrences("<path class=\"series\"", in: svg), 3)
        XCTAssertTrue(svg.contains("stroke=\"\(LineChart.palette[0])\""))
        XCTAssertTrue(svg.contains("stroke=\"\(LineChart.palette[1])\""))
        XCTAssertTrue(svg.contains("stroke=\"#000000\" stroke-width=\"1.5\" stroke-dasharray"))
        XCTAssertTrue(svg.contains(">multi &amp; scale</text>"), "the legend names each series, escaped")
        XCTAssertTrue(svg.contains("PSNR &lt;dB&gt;"))
        XCTAssertEqual(occurrences("<circle", in: svg), 2, "markers only on the series that asks for them")
        // The first series' path: three points, one move and two lines.
        let first = svg.components(separatedBy: "data-series=\"single\" d=\"")[1].prefix { $0 != "\"" }
        XCTAssertEqual(first.filter { $0 == "M" }.count, 1)
        XCTAssertEqual(first.filter { $0 == "L" }.count, 2)
    }

    func testPointsALogAxisCannotShowBreakTheLine() {
        let chart = LineChart(title: "loss", x: .init(label: "step"), y: .init(label: "loss", scale: .logarithmic),
                              series: [.init(name: "loss", points: [(0, 1), (1, 0.5), (2, 0), (3, 0.2), (4, .nan), (5, 0.1)])])
        let svg = chart.svg()
        let path = svg.components(separatedBy: "data-series=\"loss\" d=\"")[1].prefix { $0 != "\"" }
        XCTAssertEqual(path.filter { $0 == "M" }.count, 3, "a new subpath after each point that cannot be shown")
        XCTAssertEqual(path.filter { $0 == "L" }.count, 1)
        XCTAssertTrue(svg.contains("loss (log scale)"))
    }

    func testPointsLieInsideTheFrame() {
        let chart = LineChart(title: "t", x: .init(label: "x"), y: .init(label: "y"),
                              series: [.init(name: "s", points: [(0, 0), (1, 1)])])
        let svg = chart.svg()
        let path = String(svg.components(separatedBy: "data-series=\"s\" d=\"")[1].prefix { $0 != "\"" })
        let numbers = path.split { "ML ".contains($0) }.compactMap { Double($0) }
        XCTAssertEqual(numbers.count, 4)
        for (index, value) in numbers.enumerated() {
            let limit = index % 2 == 0 ? Double(chart.width) : Double(chart.height)
            XCTAssertTrue((0...limit).contains(value), "coordinate \(value) outside the figure")
        }
        XCTAssertLessThan(numbers[3], numbers[1], "larger y is drawn higher")
    }
}
