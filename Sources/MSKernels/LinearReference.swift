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
