import Foundation

/// Sampled 1-D Gaussian-derivative filters of orders 0, 1 and 2, scale-normalised so that they
/// are dimensionless (docs/method.md section 4):
///
///     g0 = G_σ,   g1 = σ · G_σ',   g2 = σ² · G_σ''
///
/// sampled at the integer offsets `k = −r … r` of a mesh where σ spans `s = σ/h` pixels, with
/// radius `r = max(1, ⌈6s⌉)`. (Cut at 4σ, as first specified, the filters jump by e⁻⁸ ≈ 3e-4 of
/// their peak at the cut, and the sums over the samples then converge only like h: on smooth
/// inputs the difference between meshes stalled near 1e-4. At 6σ the jump is 1.5e-8, below
/// Float32 rounding; docs/mesh.md has the measurements.) The samples are normalised so that the discrete moments that
/// define each filter are exact on the mesh:
///
///     Σ g0(k) = 1,    Σ k·g1(k) = −s,    Σ g2(k) = 0 and Σ k²·g2(k) = 2s²
///
/// (the continuous values), so that g0 reproduces constants, g1 the slope of a linear function
/// and g2 the curvature of a quadratic exactly, at every mesh. Applied as a convolution,
/// `out[i] = Σ_k g(k) · in[i − k]`, g1 gives `σ·∂u/∂x` and g2 `σ²·∂²u/∂x²` of a smooth field.
///
/// `logSigmaDerivatives` are the exact derivatives of the samples with respect to `log σ`
/// (computed alongside by forward-mode differentiation), for the layer's gradient with respect
/// to σ. The radius is held fixed under that derivative.
public struct GaussianDerivativeTaps: Sendable, Equatable {
    /// Highest derivative order (0, 1, 2 are built).
    public static let orders = 3
    public let radius: Int
    /// σ in pixels of the mesh.
    public let pixels: Double
    /// `values[order][k + radius]`.
    public let values: [[Double]]
    /// `∂ values[order][k + radius] / ∂ log σ`.
    public let logSigmaDerivatives: [[Double]]

    /// The filters for σ spanning `pixels` mesh cells (`pixels` = σ · n for an `n`-pixel side).
    public init(pixels: Double) {
        precondition(pixels > 0 && pixels.isFinite, "GaussianDerivativeTaps: σ must span a positive number of pixels, got \(pixels)")
        let r = Self.radius(pixels: pixels)
        radius = r
        self.pixels = pixels
        // s depends on log σ with ds/dlogσ = s. Below `smallestPixels` the filters are those of
        // `smallestPixels` (already the finite-difference stencils) and do not depend on σ.
        let s = pixels >= Self.smallestPixels ? Dual(pixels, pixels) : Dual(Self.smallestPixels)
        let offsets = (-r...r).map(Double.init)
        let e = offsets.map { k in Dual.exp(Dual(-k * k / 2) / (s * s)) }
        let sum = e.reduce(Dual(0), +)
        let secondMoment = zip(offsets, e).reduce(Dual(0)) { $0 + $1.1 * ($1.0 * $1.0) }
        let g0 = e.map { $0 / sum }
        let g1 = zip(offsets, e).map { k, ek in ek * (-k) * s / secondMoment }
        let mean = secondMoment / sum
        let centred = zip(offsets, e).map { k, ek in (Dual(k * k) - mean) * ek }
        let fourthCentred = zip(offsets, centred).reduce(Dual(0)) { $0 + $1.1 * ($1.0 * $1.0) }
        let g2 = centred.map { $0 * (s * s * 2) / fourthCentred }
        values = [g0, g1, g2].map { $0.map(\.value) }
        logSigmaDerivatives = [g0, g1, g2].map { $0.map(\.derivative) }
    }

    /// `max(1, ⌈6s⌉)` for σ spanning `s` pixels.
    public static func radius(pixels: Double) -> Int { max(1, Int((truncation * pixels).rounded(.up))) }
    /// Narrower filters would underflow (e^{−1/(2s²)} at the first offset); see `init`.
    public static let smallestPixels = 0.05
    /// The filters are cut at this many σ.
    public static let truncation = 6.0

    /// The taps of `order` in Float, optionally reversed (`flipped[t] = taps[2r − t]`, the filter
    /// of the adjoint convolution).
    public func floats(_ order: Int, derivative: Bool = false, flipped: Bool = false) -> [Float] {
        let taps = (derivative ? logSigmaDerivatives : values)[order].map(Float.init)
        return flipped ? taps.reversed() : taps
    }
}

/// A number with its derivative along one direction (forward-mode differentiation).
struct Dual {
    var value: Double
    var derivative: Double

    init(_ value: Double, _ derivative: Double = 0) {
        self.value = value
        self.derivative = derivative
    }

    static func + (a: Dual, b: Dual) -> Dual { Dual(a.value + b.value, a.derivative + b.derivative) }
    static func - (a: Dual, b: Dual) -> Dual { Dual(a.value - b.value, a.derivative - b.derivative) }
    static func * (a: Dual, b: Dual) -> Dual {
        Dual(a.value * b.value, a.derivative * b.value + a.value * b.derivative)
    }
    static func * (a: Dual, b: Double) -> Dual { Dual(a.value * b, a.derivative * b) }
    static func / (a: Dual, b: Dual) -> Dual {
        Dual(a.value / b.value, (a.derivative * b.value - a.value * b.derivative) / (b.value * b.value))
    }
    static func exp(_ a: Dual) -> Dual {
        let e = Foundation.exp(a.value)
        return Dual(e, e * a.derivative)
    }
}
