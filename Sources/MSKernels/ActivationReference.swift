#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Slow Float64 oracle for `Activation`: the formulas of its documentation, element by element.
public enum ActivationReference {
    /// `y_i = f(x_i)`.
    public static func forward(_ x: [Double], activation: Activation) -> [Double] {
        x.map { v in
            switch activation {
            case .relu: return v > 0 ? v : 0
            case .silu: return v * sigmoid(v)
            case .leakyReLU(let slope): return v > 0 ? v : Double(slope) * v
            }
        }
    }

    /// `dL/dx_i = f'(x_i) · dL/dy_i` (a fresh array).
    public static func backward(outputGradient: [Double], input: [Double], activation: Activation) -> [Double] {
        precondition(outputGradient.count == input.count,
                     "ActivationReference.backward: \(outputGradient.count) gradients for \(input.count) inputs")
        return zip(outputGradient, input).map { g, v in
            switch activation {
            case .relu: return v > 0 ? g : 0
            case .silu: return g * sigmoid(v) * (1 + v * (1 - sigmoid(v)))
            case .leakyReLU(let slope): return v > 0 ? g : Double(slope) * g
            }
        }
    }

    private static func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
}
