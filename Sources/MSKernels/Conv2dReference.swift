/// Direct-loop 2-D convolution in Float64: slow, obviously correct, the oracle for `Conv2d`.
///
/// Legend: `n` sample, `c` input channel, `o` output channel, `(y, x)` output pixel,
/// `(ky, kx)` kernel tap, `(iy, ix) = (y·stride − padding + ky, x·stride − padding + kx)` the
/// input pixel it reads (zero outside the input).
///
///     out[n, o, y, x] = bias[o] + Σ_{c, ky, kx} weight[o, c, ky, kx] · in[n, c, iy, ix]
///
/// Arrays are flat and row-major in the shapes of `Conv2dGeometry`.
public enum Conv2dReference {
    /// `input` `[N, C_in, H, W]`, `weight` `[C_out, C_in, K, K]`, `bias` `[C_out]` or nil
    /// → `[N, C_out, H_out, W_out]`.
    public static func forward(input: [Double], weight: [Double], bias: [Double]?,
                               geometry g: Conv2dGeometry) -> [Double] {
        check(input: input, weight: weight, geometry: g)
        precondition(bias == nil || bias!.count == g.outputChannels,
                     "Conv2dReference: bias has \(bias!.count) elements, expected [\(g.outputChannels)]")
        var out = [Double](repeating: 0, count: g.outputShape.reduce(1, *))
        visit(g) { n, o, y, x, inputIndex, weightIndex in
            out[outputIndex(g, n, o, y, x)] += weight[weightIndex] * input[inputIndex]
        }
        if let bias {
            for n in 0..<g.batch { for o in 0..<g.outputChannels {
                for y in 0..<g.outputHeight { for x in 0..<g.outputWidth { out[outputIndex(g, n, o, y, x)] += bias[o] } }
            } }
        }
        return out
    }

    /// Gradients of `L` given `outputGradient = dL/dout` `[N, C_out, H_out, W_out]`.
    /// Returns new arrays (nothing is accumulated): `input` `[N, C_in, H, W]`,
    /// `weight` `[C_out, C_in, K, K]`, `bias` `[C_out]`.
    public static func backward(outputGradient: [Double], input: [Double], weight: [Double],
                                geometry g: Conv2dGeometry) -> (input: [Double], weight: [Double], bias: [Double]) {
        check(input: input, weight: weight, geometry: g)
        precondition(outputGradient.count == g.outputShape.reduce(1, *),
                     "Conv2dReference: output gradient has \(outputGradient.count) elements, expected \(g.outputShape)")
        var dInput = [Double](repeating: 0, count: input.count)
        var dWeight = [Double](repeating: 0, count: weight.count)
        var dBias = [Double](repeating: 0, count: g.outputChannels)
        visit(g) { n, o, y, x, inputIndex, weightIndex in
            let dy = outputGradient[outputIndex(g, n, o, y, x)]
            dInput[inputIndex] += weight[weightIndex] * dy
            dWeight[weightIndex] += input[inputIndex] * dy
        }
        for n in 0..<g.batch { for o in 0..<g.outputChannels {
            for y in 0..<g.outputHeight { for x in 0..<g.outputWidth { dBias[o] += outputGradient[outputIndex(g, n, o, y, x)] } }
        } }
        return (dInput, dWeight, dBias)
    }

    /// Calls `body(n, o, y, x, inputIndex, weightIndex)` for every product term whose input
    /// pixel lies inside the input (padding contributes zeros and is skipped).
    private static func visit(_ g: Conv2dGeometry, _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let k = g.kernelSize
        for n in 0..<g.batch { for o in 0..<g.outputChannels {
            for y in 0..<g.outputHeight { for x in 0..<g.outputWidth {
                for c in 0..<g.inputChannels { for ky in 0..<k { for kx in 0..<k {
                    let iy = y * g.stride - g.padding + ky, ix = x * g.stride - g.padding + kx
                    guard iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth else { continue }
                    body(n, o, y, x,
                         ((n * g.inputChannels + c) * g.inputHeight + iy) * g.inputWidth + ix,
                         ((o * g.inputChannels + c) * k + ky) * k + kx)
                } } }
            } }
        } }
    }

    private static func outputIndex(_ g: Conv2dGeometry, _ n: Int, _ o: Int, _ y: Int, _ x: Int) -> Int {
        ((n * g.outputChannels + o) * g.outputHeight + y) * g.outputWidth + x
    }

    private static func check(input: [Double], weight: [Double], geometry g: Conv2dGeometry) {
        precondition(input.count == g.inputShape.reduce(1, *),
                     "Conv2dReference: input has \(input.count) elements, expected \(g.inputShape)")
        precondition(weight.count == g.weightCount,
                     "Conv2dReference: weight has \(weight.count) elements, expected "
                     + "[\(g.outputChannels), \(g.inputChannels), \(g.kernelSize), \(g.kernelSize)]")
    }
}
