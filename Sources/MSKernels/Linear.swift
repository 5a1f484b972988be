import MSTensor

// Legend: N rows of the batch, I input features, O output features;
// X [N × I], W [O × I], b [O], Y [N × O], dY = dL/dY.

/// Fully connected layer: `Y = X · Wᵀ + b` by single-precision GEMM.
public enum Linear {
    /// `input` `[N, in]`, `weight` `[out, in]`, `bias` `[out]` or nil → `[N, out]`.
    public static func forward(_ input: Tensor, weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                               outputFeatures: Int) -> Tensor {
        precondition(input.rank == 2, "Linear.forward: input \(input.shape) is not [N, in]")
        let n = input.shape[0], i = input.shape[1], o = outputFeatures
        precondition(weight.count == o * i, "Linear.forward: weight has \(weight.count) elements, expected [\(o), \(i)]")
        precondition(bias == nil || bias!.count == o, "Linear.forward: bias has \(bias!.count) elements, expected [\(o)]")
        var output = Tensor(shape: [n, o])
        output.withUnsafeMutableBufferPointer { y in
            if let bias {
                for r in 0..<n { (y.baseAddress! + r * o).update(from: bias.baseAddress!, count: o) }
            }
            input.withUnsafeBufferPointer { x in
                BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: o, k: i, alpha: 1,
                           a: x.baseAddress!, lda: i, b: weight.baseAddress!, ldb: i,
                           beta: bias == nil ? 0 : 1, c: y.baseAddress!, ldc: o)
            }
        }
        return output
    }

    /// Backward of `forward` given `outputGradient = dL/dY` `[N, out]`.
    ///
    /// **Accumulates** `dW += dYᵀ · X` into `weightGradient` `[out, in]` and `db += Σ_rows dY`
    /// into `biasGradient` `[out]` (if non-nil); returns a new `dL/dX = dY · W` `[N, in]`.
    public static func backward(outputGradient: Tensor, input: Tensor, weight: UnsafeBufferPointer<Float>,
                                weightGradient: UnsafeMutableBufferPointer<Float>,
                                biasGradient: UnsafeMutableBufferPointer<Float>?) -> Tensor {
        precondition(input.rank == 2 && outputGradient.rank == 2 && input.shape[0] == outputGradient.shape[0],
                     "Linear.backward: input \(input.shape) and output gradient \(outputGradient.shape) are not [N, in], [N, out]")
        let n = input.shape[0], i = input.shape[1], o = outputGradient.shape[1]
        precondition(weight.count == o * i && weightGradient.count == o * i,
                     "Linear.backward: weight \(weight.count) / weight gradient \(weightGradient.count) elements, expected [\(o), \(i)]")
        precondition(biasGradient == nil || biasGradient!.count == o,
                     "Linear.backward: bias gradient has \(biasGradient!.count) elements, expected [\(o)]")
        var inputGradient = Tensor(shape: [n, i])
        outputGradient.withUnsafeBufferPointer { dy in
            input.withUnsafeBufferPointer { x in
                BLAS.sgemm(transposeA: true, transposeB: false, m: o, n: i, k: n, alpha: 1,
                           a: dy.baseAddress!, lda: o, b: x.baseAddress!, ldb: i,
                           beta: 1, c: weightGradient.baseAddress!, ldc: i)
            }
            inputGradient.withUnsafeMutableBufferPointer { dx in
                BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: i, k: o, alpha: 1,
                           a: dy.baseAddress!, lda: o, b: weight.baseAddress!, ldb: i,
                           beta: 0, c: dx.baseAddress!, ldc: i)
            }
            if let biasGradient {
                for r in 0..<n {
                    for j in 0..<o { biasGradient[j] += dy[r * o + j] }
                }
            }
        }
        return inputGradient
    }
}
