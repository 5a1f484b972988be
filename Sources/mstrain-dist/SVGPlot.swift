import Foundation

/// A small, self-contained SVG line plot with logarithmic axes (base 2 for x, base 10 for y),
/// grid lines at the ticks, axis labels, a title and a legend.
///
///     var plot = SVGPlot(title: "…", xLabel: "mesh n", yLabel: "‖g_n − g_2n‖ / ‖g_n‖")
///     plot.add(SVGPlot.Series(name: "standard", points: [(32, 0.4), (64, 0.3)], dashed: false))
///     try plot.render().write(toFile: "plot.svg", atomically: true, encoding: .utf8)
///
/// Points with a non-positive coordinate cannot be shown on log axes and are skipped.
struct SVGPlot {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var dashed = false
    }

    var title: String
    var xLabel: String
    var yLabel: String
    private(set) var series: [Series] = []

    init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    mutating func add(_ s: Series) { series.append(s) }

    /// Colours of successive series (colour-blind-safe palette).
    private static let colours = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"]
    private static let (width, height) = (720.0, 460.0)
    private static let (left, right, top, bottom) = (80.0, 210.0, 40.0, 60.0)

    /// The SVG document.
    func render() -> String {
        let points = series.flatMap(\.points).filter { $0.x > 0 && $0.y > 0 }
        let xs = points.map { log2($0.x) }, ys = points.map { log10($0.y) }
        let xRange = (floor(xs.min() ?? 0), ceil(xs.max() ?? 1))
        let yRange = (floor(ys.min() ?? -1), ceil(ys.max() ?? 0))
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        func px(_ x: Double) -> Double {
            Self.left + (log2(x) - xRange.0) / max(xRange.1 - xRange.0, 1) * plotWidth
        }
        func py(_ y: Double) -> Double {
            Self.top + plotHeight - (log10(y) - yRange.0) / max(yRange.1 - yRange.0, 1) * plotHeight
        }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(Self.height))" \
            viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Self.width / 2)" y="22" text-anchor="middle" font-size="14">\(escape(title))</text>

            """
        for e in Int(xRange.0)...Int(max(xRange.1, xRange.0 + 1)) {
            let x = px(pow(2, Double(e)))
            svg += line(x, Self.top, x, Self.top + plotHeight, colour: "#dddddd")
            svg += text(x, Self.top + plotHeight + 18, "\(Int(pow(2, Double(e))))", anchor: "middle")
        }
        for e in Int(yRange.0)...Int(max(yRange.1, yRange.0 + 1)) {
            let y = py(pow(10, Double(e)))
            svg += line(Self.left, y, Self.left + plotWidth, y, colour: "#dddddd")
            svg += text(Self.left - 6, y + 4, "1e\(e)", anchor: "end")
        }
        svg += "<rect x=\"\(Self.left)\" y=\"\(Self.top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"black\"/>\n"
        svg += text(Self.left + plotWidth / 2, Self.height - 18, xLabel, anchor: "middle")
        svg += "<text x=\"20\" y=\"\(Self.top + plotHeight / 2)\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 20 \(Self.top + plotHeight / 2))\">\(escape(yLabel))</text>\n"
        for (index, s) in series.enumerated() {
            let colour = Self.colours[index % Self.colours.count]
            let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
            let shown = s.points.filter { $0.x > 0 && $0.y > 0 }
            let path = shown.map { "\(format(px($0.x))),\(format(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash)/>\n"
            for p in shown {
                svg += "<circle cx=\"\(format(px(p.x)))\" cy=\"\(format(py(p.y)))\" r=\"3\" fill=\"\(colour)\"/>\n"
            }
            let legendY = Self.top + 10 + Double(index) * 20
            let legendX = Self.left + plotWidth + 15
            svg += "<line x1=\"\(legendX)\" y1=\"\(legendY)\" x2=\"\(legendX + 24)\" y2=\"\(legendY)\" stroke=\"\(colour)\" "
                + "stroke-width=\"2\"\(dash)/>\n"
            svg += text(legendX + 30, legendY + 4, s.name, anchor: "start")
        }
        return svg + "</svg>\n"
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, colour: String) -> String {
        "<line x1=\"\(format(x1))\" y1=\"\(format(y1))\" x2=\"\(format(x2))\" y2=\"\(format(y2))\" stroke=\"\(colour)\"/>\n"
    }

    private func text(_ x: Double, _ y: Double, _ content: String, anchor: String) -> String {
        "<text x=\"\(format(x))\" y=\"\(format(y))\" text-anchor=\"\(anchor)\">\(escape(content))</text>\n"
    }

    private func format(_ v: Double) -> String { String(format: "%.1f", v) }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
