/// Float64 reference of `MeshFreeConv.forward`: each basis filter sampled as a 2-D stencil
/// `g_a(ky)·g_b(kx)` and applied by direct 2-D convolution with zero padding,
///
///     B[n, c, α, y, x] = Σ_{ky, kx} g_a(ky) · g_b(kx) · in[n, c, y − ky, x − kx]
///     out[n, o, y, x]  = bias[o] + Σ_{c, α} weight[o, c, α] · B[n, c, α, y, x]
///
/// with `(a, b) = MeshFreeConv.derivativeOrders[α]` and the taps of `GaussianDerivativeTaps`
/// for σ·H pixels (y) and σ·W pixels (x). Slow and plain: the test oracle.
public enum MeshFreeConvReference {
    public static func forward(input: [Double], shape: [Int], weight: [Double], bias: [Double]?, outputChannels: Int,
                               sigma: Double) -> [Double] {
        let (batch, channels, h, w) = referenceExtents(shape, count: input.count, "MeshFreeConvReference.forward")
        let basisSize = MeshFreeConv.basisSize
        precondition(weight.count == outputChannels * channels * basisSize,
                     "MeshFreeConvReference.forward: weight has \(weight.count) elements, expected [\(outputChannels), \(channels), 6]")
        let tapsY = GaussianDerivativeTaps(pixels: sigma * Double(h)), tapsX = GaussianDerivativeTaps(pixels: sigma * Double(w))
        let (ry, rx) = (tapsY.radius, tapsX.radius)
        var output = [Double](repeating: 0, count: batch * outputChannels * h * w)
        for n in 0..<batch {
            for o in 0..<outputChannels {
                for y in 0..<h {
                    for x in 0..<w { output[((n * outputChannels + o) * h + y) * w + x] = bias?[o] ?? 0 }
                }
            }
            for c in 0..<channels {
                for (α, orders) in MeshFreeConv.derivativeOrders.enumerated() {
                    let gy = tapsY.values[orders.y], gx = tapsX.values[orders.x]
                    for y in 0..<h {
                        for x in 0..<w {
                            var response = 0.0
                            for ky in -ry...ry where (0..<h).contains(y - ky) {
                                for kx in -rx...rx where (0..<w).contains(x - kx) {
                                    response += gy[ky + ry] * gx[kx + rx] * input[((n * channels + c) * h + y - ky) * w + x - kx]
                                }
                            }
                            for o in 0..<outputChannels {
                                output[((n * outputChannels + o) * h + y) * w + x] += weight[(o * channels + c) * basisSize + α] * response
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
