import MSTensor

/// Pointwise activations of tensors of any shape.
///
///     relu:       y = max(x, 0)                 y' = 1 if x > 0 else 0
///     silu:       y = x · σ(x), σ = 1/(1+e^−x)  y' = σ(x) · (1 + x · (1 − σ(x)))
///     leakyReLU:  y = x if x > 0 else slope · x y' = 1 if x > 0 else slope
///
/// The derivative at `x = 0` is taken from the left, as PyTorch does. `σ` uses a vectorised
/// `exp` accurate to about 2e-7 relative.
public enum Activation: Hashable, Sendable {
    case relu, silu, leakyReLU(slope: Float)

    /// `y = f(x)` elementwise (a new tensor of `x`'s shape).
    public func forward(_ x: Tensor) -> Tensor {
        switch self {
        case .relu:
            return Vectorised.map(x) { v in v.replacing(with: 0, where: v .<= 0) }
        case .silu:
            return Vectorised.map(x) { v in v * Vectorised.sigmoid(v) }
        case .leakyReLU(let slope):
            return Vectorised.map(x) { v in v.replacing(with: v * slope, where: v .<= 0) }
        }
    }

    /// dL/dx from dL/dy and the forward INPUT x
    ///
    /// `dL/dx = f'(x) · dL/dy` elementwise; `outputGradient` and `input` share one shape. The
    /// result is a new tensor (overwrites nothing).
    public func backward(outputGradient: Tensor, input: Tensor) -> Tensor {
        let mismatch = { "Activation.\(self).backward: outputGradient vs input" }
        switch self {
        case .relu:
            return Vectorised.map(outputGradient, input, operation: mismatch()) { g, v in
                g.replacing(with: 0, where: v .<= 0)
            }
        case .silu:
            return Vectorised.map(outputGradient, input, operation: mismatch()) { g, v in
                let s = Vectorised.sigmoid(v)
                return g * s * (1 + v * (1 - s))
            }
        case .leakyReLU(let slope):
            return Vectorised.map(outputGradient, input, operation: mismatch()) { g, v in
                g.replacing(with: g * slope, where: v .<= 0)
            }
        }
    }
}
