import MSTensor

/// Single-head dot-product self-attention over the pixels of a feature map, the UNet middle
/// block's attention (its q, k, v and output projections are 1×1 convolutions, outside this kernel).
///
/// Per sample, with `Q`, `K`, `V` the `[C, P]` matrices of one sample (row c = channel) and
/// `α = 1/√C`:
///
///     S = α Qᵀ K  [P, P],   A = softmax over each row of S,   O = V Aᵀ  [C, P]
///
/// and the pullback
///
///     dV = dO A,   dA = dOᵀ V,   dS_ij = A_ij (dA_ij − Σ_j' A_ij' dA_ij'),   dQ = α K dSᵀ,   dK = α Q dS.
///
/// The products are `BLAS.sgemm` calls per sample; softmax rows are vectorised.
/// Legend: `s` sample, `c` = C channels, `p` = P pixels, `i`/`j` query/key pixel.
public enum Attention {
    /// Single-head attention over pixels: q, k, v [N, C, P] (P = H·W) → out [N, C, P],
    /// out[:, :, i] = Σ_j softmax_j(q[:,:,i]·k[:,:,j] / sqrt(C)) v[:, :, j]. Returns the probabilities [N, P, P] for backward.
    ///
    /// `probabilities[s, i, j] = A_ij` of sample `s`. Both results are new tensors.
    public static func forward(query: Tensor, key: Tensor, value: Tensor) -> (output: Tensor, probabilities: Tensor) {
        let (n, c, p) = geometry(query, key, value, operation: "Attention.forward")
        let alpha = 1 / Float(c).squareRoot()
        var output = Tensor(shape: [n, c, p]), probabilities = Tensor(shape: [n, p, p])
        query.withUnsafeBufferPointer { qb in key.withUnsafeBufferPointer { kb in value.withUnsafeBufferPointer { vb in
            output.withUnsafeMutableBufferPointer { ob in probabilities.withUnsafeMutableBufferPointer { ab in
                for s in 0..<n {
                    let (q, k, v) = (qb.baseAddress! + s * c * p, kb.baseAddress! + s * c * p, vb.baseAddress! + s * c * p)
                    let a = ab.baseAddress! + s * p * p
                    BLAS.sgemm(transposeA: true, transposeB: false, m: p, n: p, k: c,
                               alpha: alpha, a: q, lda: p, b: k, ldb: p, beta: 0, c: a, ldc: p)
                    for i in 0..<p { softmax(row: a + i * p, count: p) }
                    BLAS.sgemm(transposeA: false, transposeB: true, m: c, n: p, k: p,
                               alpha: 1, a: v, lda: p, b: a, ldb: p, beta: 0, c: ob.baseAddress! + s * c * p, ldc: p)
                }
            } }
        } } }
        return (output, probabilities)
    }

    /// The pullback of `forward` (see the type's documentation): `dL/dq`, `dL/dk`, `dL/dv`
    /// `[N, C, P]` from `dL/dout` `[N, C, P]`, the forward inputs and the probabilities it
    /// returned. All three are new tensors.
    public static func backward(outputGradient: Tensor, query: Tensor, key: Tensor, value: Tensor,
                                probabilities: Tensor) -> (query: Tensor, key: Tensor, value: Tensor)
    {
        let (n, c, p) = geometry(query, key, value, operation: "Attention.backward")
        precondition(outputGradient.shape == query.shape && probabilities.shape == [n, p, p],
                     "Attention.backward: outputGradient \(outputGradient.shape), probabilities "
                         + "\(probabilities.shape) for [N, C, P] = \(query.shape)")
        let alpha = 1 / Float(c).squareRoot()
        var dQ = Tensor(shape: [n, c, p]), dK = Tensor(shape: [n, c, p]), dV = Tensor(shape: [n, c, p])
        var dS = [Float](repeating: 0, count: p * p)
        query.withUnsafeBufferPointer { qb in key.withUnsafeBufferPointer { kb in value.withUnsafeBufferPointer { vb in
            outputGradient.withUnsafeBufferPointer { gb in probabilities.withUnsafeBufferPointer { ab in
                dQ.withUnsafeMutableBufferPointer { dqb in dK.withUnsafeMutableBufferPointer { dkb in
                    dV.withUnsafeMutableBufferPointer { dvb in dS.withUnsafeMutableBufferPointer { dsb in
                        let ds = dsb.baseAddress!
                        for s in 0..<n {
                            let offset = s * c * p
                            let (q, k, v, g) = (qb.baseAddress! + offset, kb.baseAddress! + offset,
                                                vb.baseAddress! + offset, gb.baseAddress! + offset)
                            let a = ab.baseAddress! + s * p * p
                            BLAS.sgemm(transposeA: false, transposeB: false, m: c, n: p, k: p,
                                       alpha: 1, a: g, lda: p, b: a, ldb: p, beta: 0, c: dvb.baseAddress! + offset, ldc: p)
                            // dA into dS, then dS in place row by row.
                            BLAS.sgemm(transposeA: true, transposeB: false, m: p, n: p, k: c,
                                       alpha: 1, a: g, lda: p, b: v, ldb: p, beta: 0, c: ds, ldc: p)
                            for i in 0..<p { softmaxBackward(row: a + i * p, gradient: ds + i * p, count: p) }
                            BLAS.sgemm(transposeA: false, transposeB: true, m: c, n: p, k: p,
                                       alpha: alpha, a: k, lda: p, b: ds, ldb: p, beta: 0, c: dqb.baseAddress! + offset, ldc: p)
                            BLAS.sgemm(transposeA: false, transposeB: false, m: c, n: p, k: p,
                                       alpha: alpha, a: q, lda: p, b: ds, ldb: p, beta: 0, c: dkb.baseAddress! + offset, ldc: p)
                        }
                    } }
                } }
            } }
        } } }
        return (dQ, dK, dV)
    }

    /// `(N, C, P)` of three equal `[N, C, P]` operands.
    private static func geometry(_ q: Tensor, _ k: Tensor, _ v: Tensor, operation: String) -> (Int, Int, Int) {
        precondition(q.rank == 3 && q.count > 0 && k.shape == q.shape && v.shape == q.shape,
                     "\(operation): query \(q.shape), key \(k.shape), value \(v.shape) must all be one non-empty [N, C, P]")
        return (q.shape[0], q.shape[1], q.shape[2])
    }

    /// `row ← exp(row − max) / Σ exp(row − max)` in place.
    private static func softmax(row: UnsafeMutablePointer<Float>, count: Int) {
        var maxima = Vectorised.Vector(repeating: -.infinity)
        Vectorised.forEachChunk(count: count) { i, lanes in
            maxima = Vectorised.maximum(maxima, Vectorised.load(row + i, lanes: lanes, padding: -.infinity))
        }
        let largest = maxima.max()
        let total = Vectorised.sum(count: count) { i, lanes in
            let e = Vectorised.exp(Vectorised.load(row + i, lanes: lanes) - largest)
            Vectorised.store(e, to: row + i, lanes: lanes)
            return e
        }
        let scale = Float(1 / total)
        Vectorised.map(row, into: row, count: count) { $0 * scale }
    }

    /// `gradient ← a ⊙ (gradient − ⟨a, gradient⟩)` in place: the softmax pullback of one row
    /// with probabilities `a`.
    private static func softmaxBackward(row a: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        let dot = Float(Vectorised.sum(count: count) { i, lanes in
            Vectorised.load(a + i, lanes: lanes) * Vectorised.load(gradient + i, lanes: lanes)
        })
        Vectorised.map(a, gradient, into: gradient, count: count) { a, g in a * (g - dot) }
    }
}
