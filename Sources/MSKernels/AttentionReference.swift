#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Slow Float64 oracle for `Attention`: explicit sums over channels and pixels.
///
/// Operands are flat `[N · C · P]` arrays in `[N, C, P]` order; element `(s, c, i)` is at
/// `(s·C + c)·P + i`.
public enum AttentionReference {
    /// The output `[N, C, P]` and probabilities `[N, P, P]` (`A[s, i, j]` at `(s·P + i)·P + j`).
    public static func forward(query q: [Double], key k: [Double], value v: [Double],
                               shape: [Int]) -> (output: [Double], probabilities: [Double])
    {
        let (n, c, p) = extents(shape, q, k, v)
        var out = [Double](repeating: 0, count: q.count), a = [Double](repeating: 0, count: n * p * p)
        for s in 0..<n {
            for i in 0..<p {
                let scores = (0..<p).map { j in
                    (0..<c).reduce(0.0) { $0 + q[(s * c + $1) * p + i] * k[(s * c + $1) * p + j] } / Double(c).squareRoot()
                }
                let largest = scores.max()!
                let weights = scores.map { exp($0 - largest) }
                let total = weights.reduce(0, +)
                for j in 0..<p { a[(s * p + i) * p + j] = weights[j] / total }
                for channel in 0..<c {
                    out[(s * c + channel) * p + i] = (0..<p).reduce(0.0) {
                        $0 + a[(s * p + i) * p + $1] * v[(s * c + channel) * p + $1]
                    }
                }
            }
        }
        return (out, a)
    }

    /// `dL/dq`, `dL/dk`, `dL/dv` (fresh arrays) from `dL/dout`, by the chain rule through
    /// `S = Qᵀ K / √C`, the row softmax and `O = V Aᵀ`; recomputes the forward.
    public static func backward(outputGradient g: [Double], query q: [Double], key k: [Double], value v: [Double],
                                shape: [Int]) -> (query: [Double], key: [Double], value: [Double])
    {
        let (n, c, p) = extents(shape, q, k, v)
        precondition(g.count == q.count, "AttentionReference.backward: \(g.count) gradients for shape \(shape)")
        let a = forward(query: q, key: k, value: v, shape: shape).probabilities
        let scale = 1 / Double(c).squareRoot()
        var dq = [Double](repeating: 0, count: q.count), dk = dq, dv = dq
        for s in 0..<n {
            for i in 0..<p {
                // dA_ij = Σ_c dO[c, i] V[c, j]; dS_ij = A_ij (dA_ij − Σ_j' A_ij' dA_ij').
                let dA = (0..<p).map { j in (0..<c).reduce(0.0) { $0 + g[(s * c + $1) * p + i] * v[(s * c + $1) * p + j] } }
                let mean = (0..<p).reduce(0.0) { $0 + a[(s * p + i) * p + $1] * dA[$1] }
                for j in 0..<p {
                    let aij = a[(s * p + i) * p + j], dS = aij * (dA[j] - mean)
                    for channel in 0..<c {
                        let (ci, cj) = ((s * c + channel) * p + i, (s * c + channel) * p + j)
                        dv[cj] += aij * g[ci]
                        dq[ci] += scale * dS * k[cj]
                        dk[cj] += scale * dS * q[ci]
                    }
                }
            }
        }
        return (dq, dk, dv)
    }

    private static func extents(_ shape: [Int], _ q: [Double], _ k: [Double], _ v: [Double]) -> (Int, Int, Int) {
        precondition(shape.count == 3 && shape.reduce(1, *) == q.count && k.count == q.count && v.count == q.count,
                     "AttentionReference: shape \(shape) for \(q.count), \(k.count), \(v.count) values")
        return (shape[0], shape[1], shape[2])
    }
}
