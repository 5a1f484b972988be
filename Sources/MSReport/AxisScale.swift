import Foundation

/// How an axis maps values to positions.
public enum ScaleKind: String, Sendable {
    /// Equal distances for equal differences.
    case linear
    /// Equal distances for equal ratios (base 10); only positive values can be shown.
    case logarithmic
}

/// An axis's domain `lower...upper`, widened to round tick values, and its ticks.
///
/// Linear ticks are the multiples of a step `s = m·10^k` with m ∈ {1, 2, 5}, chosen so that
/// about five ticks cover the values. A logarithmic domain runs from a power of ten to a power
/// of ten with the powers as ticks; when that would span two decades or less, its bounds and
/// ticks are instead the values `m·10^k` with m ∈ {1, 2, 5} (for example 0.05 to 0.2, ticks
/// 0.05, 0.1, 0.2).
public struct AxisScale: Equatable, Sendable {
    public let kind: ScaleKind
    public let lower: Double
    public let upper: Double
    /// Linear: the tick step. Logarithmic: unused (1).
    let step: Double

    /// The scale covering `values`; non-finite values, and non-positive ones on a logarithmic
    /// scale, are ignored. With no value left the domain is 0...1 (linear) or 1...10 (log).
    public init(kind: ScaleKind, covering values: [Double]) {
        self.kind = kind
        let usable = values.filter { $0.isFinite && (kind == .linear || $0 > 0) }
        switch kind {
        case .linear:
            var low = usable.min() ?? 0, high = usable.max() ?? 1
            if high - low <= 1e-12 * max(abs(low), abs(high), 1) {
                let pad = max(abs(low) * 0.1, 1e-9)
                (low, high) = (low - pad, high + pad)
            }
            let step = AxisScale.niceStep((high - low) / 5)
            self.step = step
            lower = (low / step).rounded(.down) * step
            upper = (high / step).rounded(.up) * step
        case .logarithmic:
            let low = usable.min() ?? 1, high = usable.max() ?? 10
            step = 1
            let (bottom, top) = (pow(10, log10(low).rounded(.down)), pow(10, log10(high).rounded(.up)))
            if top / bottom > 100 {
                (lower, upper) = (bottom, top)
            } else {
                // Two decades or less: tighter bounds at 1, 2 or 5 times a power of ten.
                lower = AxisScale.roundLogBound(low, up: false)
                let ceiling = AxisScale.roundLogBound(high, up: true)
                upper = ceiling > lower ? ceiling : AxisScale.roundLogBound(lower * 1.01, up: true)
            }
        }
    }

    /// The smallest `m·10^k` (m ∈ {1, 2, 5}) at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        let power = pow(10, log10(rough).rounded(.down))
        for multiple in [1.0, 2, 5, 10] where multiple * power >= rough * (1 - 1e-9) { return multiple * power }
        return 10 * power
    }

    /// The largest `m·10^k` (m ∈ {1, 2, 5}) at most `value`, or with `up` the smallest at least `value`.
    static func roundLogBound(_ value: Double, up: Bool) -> Double {
        let power = pow(10, log10(value).rounded(.down))
        let candidates = [1.0, 2, 5, 10].map { $0 * power }
        let tolerance = value * 1e-9
        return up ? candidates.first { $0 >= value - tolerance }! : candidates.last { $0 <= value + tolerance }!
    }

    /// Where `value` lies along the axis: 0 at `lower`, 1 at `upper`.
    public func position(_ value: Double) -> Double {
        switch kind {
        case .linear: return (value - lower) / (upper - lower)
        case .logarithmic: return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
    }

    /// Whether `value` can be drawn on this scale.
    public func canShow(_ value: Double) -> Bool { value.isFinite && (kind == .linear || value > 0) }

    /// The tick values, ascending, from `lower` to `upper`.
    public var ticks: [Double] {
        switch kind {
        case .linear:
            let count = Int(((upper - lower) / step).rounded())
            return (0...count).map { lower + Double($0) * step }.map { abs($0) < step * 1e-9 ? 0 : $0 }
        case .logarithmic:
            let (first, last) = (Int(log10(lower).rounded(.down)), Int(log10(upper).rounded(.up)))
            let multiples: [Double] = upper / lower <= 100 * (1 + 1e-9) ? [1, 2, 5] : [1]
            let candidates: [Double] = (first...last).flatMap { k in multiples.map { $0 * pow(10, Double(k)) } }
            let (bottom, top) = (lower * (1 - 1e-9), upper * (1 + 1e-9))
            return candidates.filter { $0 >= bottom && $0 <= top }
        }
    }

    /// A short label for tick `value`: plain decimals with as many digits as the step needs,
    /// or `m·10^k` as "1e-4" style for very small or large magnitudes.
    public func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-3 {
            let exponent = Int(log10(magnitude).rounded(.down))
            let mantissa = value / pow(10, Double(exponent))
            let digits = kind == .linear ? max(0, exponent - Int(log10(step).rounded(.down))) : 0
            return String(format: "%.\(min(digits, 3))fe\(exponent)", mantissa)
        }
        let decimals = kind == .linear ? max(0, -Int(log10(step).rounded(.down))) : max(0, -Int(log10(magnitude).rounded(.down)))
        return String(format: "%.\(decimals)f", value)
    }
}
