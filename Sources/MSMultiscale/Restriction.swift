import MSKernels
import MSTensor

/// The restriction `R` from a level-ℓ image to level ℓ+1 (half the resolution), applied to
/// network inputs and targets alike (docs/method.md section 1).
public enum Restriction: String, CaseIterable, Sendable, Codable {
    /// Keeps every second pixel; per-pixel noise variance is unchanged.
    case inject
    /// Mean of each 2×2 block; i.i.d. pixel-noise variance falls 4×.
    case average

    /// The factor on the standard deviation of i.i.d. pixel noise: 1 for injection, ½ for
    /// averaging.
    public var noiseFactor: Float { self == .inject ? 1 : 0.5 }

    /// `[N, C, H, W] → [N, C, H/2, W/2]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .inject: return Resample.restrictInject(x)
        case .average: return Resample.restrictAverage(x)
        }
    }

    /// `R^times x`.
    public func callAsFunction(_ x: Tensor, times: Int) -> Tensor {
        var y = x
        for _ in 0..<times { y = self(y) }
        return y
    }
}
