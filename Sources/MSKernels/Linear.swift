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

/// Direct-loop fully connected layer in Float64: the oracle for `Linear`.
///
///     y[r, j] = b[j] + Σ_i w[j, i] · x[r, i]
public enum LinearReference {
    /// `input` `[N, in]`, `weight` `[out, in]`, `bias` `[out]` or nil → `[N, out]`.
    public static func forward(input: [Double], weight: [Double], bias: [Double]?,
                               inputFeatures: Int, outputFeatures: Int) -> [Double] {
        let (n, fi, fo) = check(input: input, weight: weight, inputFeatures: inputFeatures, outputFeatures: outputFeatures)
        var out = [Double](repeating: 0, count: n * fo)
        for r in 0..<n {
            for j in 0..<fo {
                var total = bias?[j] ?? 0
                for i in 0..<fi { total += weight[j * fi + i] * input[r * fi + i] }
                out[r * fo + j] = total
            }
        }
        return out
    }

    /// Gradients given `outputGradient = dL/dy` `[N, out]`. Returns new arrays (nothing is
    /// accumulated): `input` `[N, in]`, `weight` `[out, in]`, `bias` `[out]`.
    public static func backward(outputGradient: [Double], input: [Double], weight: [Double],
                                inputFeatures: Int, outputFeatures: Int)
        -> (input: [Double], weight: [Double], bias: [Double]) {
        let (n, fi, fo) = check(input: input, weight: weight, inputFeatures: inputFeatures, outputFeatures: outputFeatures)
        precondition(outputGradient.count == n * fo,
                     "LinearReference: output gradient has \(outputGradient.count) elements, expected [\(n), \(fo)]")
        var dInput = [Double](repeating: 0, count: n * fi)
        var dWeight = [Double](repeating: 0, count: fo * fi)
        var dBias = [Double](repeating: 0, count: fo)
        for r in 0..<n {
            for j in 0..<fo {
                let dy = outputGradient[r * fo + j]
                dBias[j] += dy
                for i in 0..<fi {
                    dInput[r * fi + i] += weight[j * fi + i] * dy
                    dWeight[j * fi + i] += input[r * fi + i] * dy
                }
            }
        }
        return (dInput, dWeight, dBias)
    }

    private static func check(input: [Double], weight: [Double], inputFeatures: Int, outputFeatures: Int)
        -> (rows: Int, inputs: Int, outputs: Int) {
        precondition(inputFeatures > 0 && input.count % inputFeatures == 0,
                     "LinearReference: input has \(input.count) elements, not [N, \(inputFeatures)]")
        precondition(weight.count == outputFeatures * inputFeatures,
                     "LinearReference: weight has \(weight.count) elements, expected [\(outputFeatures), \(inputFeatures)]")
        return (input.count / inputFeatures, inputFeatures, outputFeatures)
    }
}
