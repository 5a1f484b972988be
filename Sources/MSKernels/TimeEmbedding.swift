#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MSTensor

/// The sinusoidal embedding of a scalar condition `t` per sample, as guided-diffusion's
/// `timestep_embedding` (max period 10000, even dimension).
///
/// Legend: `n` sample, `d` = `D` the dimension, `half = D/2`, `i < half` a frequency,
/// `f_i = exp(−ln(10000) · i / half)`.
public enum TimeEmbedding {
    /// guided-diffusion sinusoidal embedding: for t [N] and even dim D, half = D/2, freq_i = exp(−ln(10000)·i/half),
    /// emb = [cos(t·freq), sin(t·freq)] → [N, D] (as a Tensor of shape [N, D])
    ///
    /// `emb[n, i] = cos(t_n f_i)` and `emb[n, half + i] = sin(t_n f_i)`; the arguments are formed
    /// in Float32 as PyTorch does.
    public static func sinusoidal(_ t: [Float], dimension d: Int) -> Tensor {
        let f = frequencies(dimension: d)
        return Vectorised.makeTensor(shape: [t.count, d]) { e in
            for (n, tn) in t.enumerated() {
                for (i, fi) in f.enumerated() {
                    e[n * d + i] = cos(tn * fi)
                    e[n * d + f.count + i] = sin(tn * fi)
                }
            }
        }
    }

    /// dL/dt from dL/demb [N, D]
    ///
    /// `dL/dt_n = Σ_i f_i · (−sin(t_n f_i) · g[n, i] + cos(t_n f_i) · g[n, half + i])`, summed in
    /// Double; a new array of `N` values.
    public static func sinusoidalBackward(_ t: [Float], outputGradient g: Tensor) -> [Float] {
        precondition(g.rank == 2 && g.shape[0] == t.count,
                     "TimeEmbedding.sinusoidalBackward: gradient \(g.shape) for \(t.count) values of t")
        let d = g.shape[1], f = frequencies(dimension: d)
        return t.enumerated().map { n, tn in
            var sum = 0.0
            for (i, fi) in f.enumerated() {
                let a = tn * fi
                sum += Double(fi * (cos(a) * g.scalars[n * d + f.count + i] - sin(a) * g.scalars[n * d + i]))
            }
            return Float(sum)
        }
    }

    /// `f_i = exp(−ln(10000) · i / half)` for `i < half = D/2`.
    private static func frequencies(dimension d: Int) -> [Float] {
        precondition(d > 0 && d.isMultiple(of: 2), "TimeEmbedding: dimension \(d) must be even and positive")
        let half = d / 2
        return (0..<half).map { Float(exp(-log(10_000.0) * Double($0) / Double(half))) }
    }
}
