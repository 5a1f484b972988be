import Foundation

/// A line chart written as inline SVG: a frame with ticks and grid lines on both axes, axis
/// labels, a title, a legend, and one `<path class="series">` per series.
///
/// Points that the axis scales cannot show (non-finite values, or non-positive ones on a
/// logarithmic axis) break the line there. Usage:
///
///     var chart = LineChart(title: "Validation PSNR", x: .init(label: "step"), y: .init(label: "PSNR (dB)"))
///     chart.series.append(.init(name: "multiscale", points: [(0, 20.1), (100, 24.3)]))
///     let svg = chart.svg()
public struct LineChart: Sendable {
    public struct Axis: Sendable {
        public var label: String
        public var scale: ScaleKind
        public init(label: String, scale: ScaleKind = .linear) { (self.label, self.scale) = (label, scale) }
    }

    /// How a series is drawn.
    public enum LineStyle: String, Sendable {
        case solid
        case dashed
    }

    public struct Series: Sendable {
        public var name: String
        /// (x, y) pairs, drawn in order.
        public var points: [(x: Double, y: Double)]
        /// A CSS colour; nil takes the next colour of `LineChart.palette`.
        public var color: String?
        public var style: LineStyle
        /// Draws a dot at every point (for sparse series such as validations).
        public var markers: Bool

        public init(name: String, points: [(x: Double, y: Double)], color: String? = nil, style: LineStyle = .solid,
                    markers: Bool = false) {
            (self.name, self.points, self.color, self.style, self.markers) = (name, points, color, style, markers)
        }
    }

    /// Distinguishable series colours (the "Tableau 10" set), used in order.
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                 "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    public var title: String
    public var x: Axis
    public var y: Axis
    public var series: [Series] = []
    /// Size of the whole figure in CSS pixels.
    public var width = 440
    public var height = 300

    public init(title: String, x: Axis, y: Axis, series: [Series] = []) {
        (self.title, self.x, self.y, self.series) = (title, x, y, series)
    }

    /// The colour series `index` is drawn in.
    public func color(ofSeries index: Int) -> String {
        series[index].color ?? LineChart.palette[paletteIndex(index) % LineChart.palette.count]
    }

    /// Series without their own colour take palette colours in order.
    private func paletteIndex(_ index: Int) -> Int { series[..<index].filter { $0.color == nil }.count }

    /// The chart as an `<svg>` element.
    public func svg() -> String {
        let xScale = AxisScale(kind: x.scale, covering: series.flatMap { $0.points.map(\.x) })
        let yScale = AxisScale(kind: y.scale, covering: series.flatMap { $0.points.map(\.y) })
        let legend = legendLayout()
        let plot = (left: 62.0, top: 30.0, right: Double(width) - 14, bottom: Double(height) - 46 - Double(legend.rows) * 18)
        func px(_ value: Double) -> Double { plot.left + xScale.position(value) * (plot.right - plot.left) }
        func py(_ value: Double) -> Double { plot.bottom - yScale.position(value) * (plot.bottom - plot.top) }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" "
            + "role=\"img\" aria-label=\"\(HTML.escape(title))\" font-family=\"sans-serif\">"
        svg += "<rect width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>"
        svg += text(title, x: Double(width) / 2, y: 18, anchor: "middle", size: 14, weight: "bold")
        for tick in xScale.ticks {
            let position = px(tick)
            svg += line(position, plot.top, position, plot.bottom, stroke: "#e4e4e4")
            svg += text(xScale.label(tick), x: position, y: plot.bottom + 15, anchor: "middle", size: 11)
        }
        for tick in yScale.ticks {
            let position = py(tick)
            svg += line(plot.left, position, plot.right, position, stroke: "#e4e4e4")
            svg += text(yScale.label(tick), x: plot.left - 5, y: position + 4, anchor: "end", size: 11)
        }
        svg += "<rect x=\"\(f(plot.left))\" y=\"\(f(plot.top))\" width=\"\(f(plot.right - plot.left))\" "
            + "height=\"\(f(plot.bottom - plot.top))\" fill=\"none\" stroke=\"#555\"/>"
        svg += text(x.label + (x.scale == .logarithmic ? " (log scale)" : ""), x: (plot.left + plot.right) / 2,
                    y: plot.bottom + 32, anchor: "middle", size: 12)
        svg += "<text x=\"14\" y=\"\(f((plot.top + plot.bottom) / 2))\" text-anchor=\"middle\" font-size=\"12\" fill=\"#222\" "
            + "transform=\"rotate(-90 14 \(f((plot.top + plot.bottom) / 2)))\">"
            + HTML.escape(y.label + (y.scale == .logarithmic ? " (log scale)" : "")) + "</text>"

        for (index, series) in series.enumerated() {
            let color = color(ofSeries: index)
            var path = "", pen = false, dots = ""
            for point in series.points {
                guard xScale.canShow(point.x), yScale.canShow(point.y) else { pen = false; continue }
                path += (pen ? "L" : "M") + "\(f(px(point.x))) \(f(py(point.y)))"
                pen = true
                if series.markers { dots += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"2.5\" fill=\"\(color)\"/>" }
            }
            svg += "<path class=\"series\" data-series=\"\(HTML.escape(series.name))\" d=\"\(path)\" fill=\"none\" "
                + "stroke=\"\(HTML.escape(color))\" \(strokeAttributes(series.style)) stroke-linejoin=\"round\"/>" + dots
        }

        for (index, entry) in legend.entries.enumerated() {
            let (ex, ey) = (plot.left + entry.x, plot.bottom + 48 + Double(entry.row) * 18)
            svg += "<line x1=\"\(f(ex))\" y1=\"\(f(ey - 4))\" x2=\"\(f(ex + 22))\" y2=\"\(f(ey - 4))\" "
                + "stroke=\"\(HTML.escape(color(ofSeries: index)))\" \(strokeAttributes(series[index].style))/>"
            svg += text(series[index].name, x: ex + 27, y: ey, anchor: "start", size: 12)
        }
        return svg + "</svg>"
    }

    /// Legend entries laid out left to right under the axis label, wrapping to new rows.
    /// Text width is estimated at 7 px per character (12 px sans-serif).
    private func legendLayout() -> (entries: [(x: Double, row: Int)], rows: Int) {
        let available = Double(width) - 62 - 14
        var entries: [(x: Double, row: Int)] = []
        var (x, row) = (0.0, 0)
        for series in series {
            let entryWidth = 27 + 7 * Double(series.name.count) + 16
            if x > 0 && x + entryWidth > available { (x, row) = (0, row + 1) }
            entries.append((x, row))
            x += entryWidth
        }
        return (entries, series.isEmpty ? 0 : row + 1)
    }

    private func strokeAttributes(_ style: LineStyle) -> String {
        switch style {
        case .solid: return "stroke-width=\"2\""
        case .dashed: return "stroke-width=\"1.5\" stroke-dasharray=\"6 4\""
        }
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\"/>"
    }

    private func text(_ content: String, x: Double, y: Double, anchor: String, size: Int, weight: String = "normal") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" font-weight=\"\(weight)\" "
            + "fill=\"#222\">\(HTML.escape(content))</text>"
    }

    /// A coordinate with one decimal.
    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
