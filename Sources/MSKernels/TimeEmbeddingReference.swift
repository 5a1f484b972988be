#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Slow Float64 oracle for `TimeEmbedding`: the formulas with every quantity in Double.
public enum TimeEmbeddingReference {
    /// `[N · D]`, row-major `[N, D]`: `cos(t_n f_i)` at `i`, `sin(t_n f_i)` at `D/2 + i`.
    public static func sinusoidal(_ t: [Double], dimension d: Int) -> [Double] {
        precondition(d > 0 && d % 2 == 0, "TimeEmbeddingReference: dimension \(d) must be even and positive")
        var e: [Double] = []
        for tn in t {
            e += (0..<(d / 2)).map { cos(tn * frequency($0, dimension: d)) }
            e += (0..<(d / 2)).map { sin(tn * frequency($0, dimension: d)) }
        }
        return e
    }

    /// `dL/dt` `[N]` from `dL/demb` `[N · D]`.
    public static func sinusoidalBackward(_ t: [Double], outputGradient g: [Double]) -> [Double] {
        precondition(!t.isEmpty && g.count % t.count == 0, "TimeEmbeddingReference: \(g.count) gradients for \(t.count) values")
        let d = g.count / t.count
        return t.indices.map { n in
            (0..<(d / 2)).reduce(0.0) { sum, i in
                let f = frequency(i, dimension: d)
                return sum - f * sin(t[n] * f) * g[n * d + i] + f * cos(t[n] * f) * g[n * d + d / 2 + i]
            }
        }
    }

    private static func frequency(_ i: Int, dimension d: Int) -> Double {
        exp(-log(10_000.0) * Double(i) / Double(d / 2))
    }
}
