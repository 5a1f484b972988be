/// Slow Float64 oracle for `GroupNorm`: the definition written out element by element.
///
/// Operands are flat row-major `[Double]` with an explicit `shape` `[N, C, H, W]`.
/// Legend: `n` sample, `g` group, `c` channel, `p` pixel, `cg = C/G`, `hw = H·W`.
public enum GroupNormReference {
    /// `y = γ_c (x − μ)/√(σ² + ε) + β_c` per (sample, group), biased `σ²`.
    /// Returns `y` and, per (sample, group) at `n·G + g`, `μ` and `1/√(σ² + ε)`.
    public static func forward(_ x: [Double], shape: [Int], groups: Int, gamma: [Double], beta: [Double],
                               epsilon: Double = 1e-5) -> (output: [Double], mean: [Double], inverseStd: [Double])
    {
        let (n, c, h, w) = referenceExtents(shape, count: x.count, "GroupNormReference.forward")
        precondition(c % groups == 0 && gamma.count == c && beta.count == c,
                     "GroupNormReference.forward: groups \(groups), gamma \(gamma.count), beta \(beta.count) for shape \(shape)")
        let cg = c / groups, hw = h * w
        var y = [Double](repeating: 0, count: x.count)
        var mean: [Double] = [], inverseStd: [Double] = []
        for sample in 0..<n {
            for g in 0..<groups {
                let indices = groupIndices(sample: sample, group: g, channels: c, groupChannels: cg, pixels: hw)
                let mu = indices.reduce(0) { $0 + x[$1.index] } / Double(indices.count)
                let variance = indices.reduce(0) { $0 + (x[$1.index] - mu) * (x[$1.index] - mu) } / Double(indices.count)
                let inv = 1 / (variance + epsilon).squareRoot()
                for (channel, index) in indices {
                    y[index] = gamma[channel] * (x[index] - mu) * inv + beta[channel]
                }
                mean.append(mu)
                inverseStd.append(inv)
            }
        }
        return (y, mean, inverseStd)
    }

    /// The exact gradients of `forward` given `dL/dy`: `dL/dx` `[N, C, H, W]`, `dL/dγ` and
    /// `dL/dβ` `[C]` (fresh arrays), from
    /// `dx = inv · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂))` with `dx̂ = γ_c dy`,
    /// `dγ_c = Σ dy x̂`, `dβ_c = Σ dy`.
    public static func backward(outputGradient: [Double], input x: [Double], shape: [Int], groups: Int,
                                gamma: [Double], epsilon: Double = 1e-5) -> (input: [Double], gamma: [Double], beta: [Double])
    {
        let (n, c, h, w) = referenceExtents(shape, count: x.count, "GroupNormReference.backward")
        precondition(outputGradient.count == x.count && gamma.count == c && c % groups == 0,
                     "GroupNormReference.backward: gradient \(outputGradient.count), gamma \(gamma.count), "
                         + "groups \(groups) for shape \(shape)")
        let cg = c / groups, hw = h * w
        var dx = [Double](repeating: 0, count: x.count)
        var dGamma = [Double](repeating: 0, count: c), dBeta = [Double](repeating: 0, count: c)
        for sample in 0..<n {
            for g in 0..<groups {
                let indices = groupIndices(sample: sample, group: g, channels: c, groupChannels: cg, pixels: hw)
                let m = Double(indices.count)
                let mu = indices.reduce(0) { $0 + x[$1.index] } / m
                let variance = indices.reduce(0) { $0 + (x[$1.index] - mu) * (x[$1.index] - mu) } / m
                let inv = 1 / (variance + epsilon).squareRoot()
                var meanDxHat = 0.0, meanDxHatXHat = 0.0
                for (channel, index) in indices {
                    let xHat = (x[index] - mu) * inv, dxHat = gamma[channel] * outputGradient[index]
                    meanDxHat += dxHat / m
                    meanDxHatXHat += dxHat * xHat / m
                    dGamma[channel] += outputGradient[index] * xHat
                    dBeta[channel] += outputGradient[index]
                }
                for (channel, index) in indices {
                    let xHat = (x[index] - mu) * inv, dxHat = gamma[channel] * outputGradient[index]
                    dx[index] = inv * (dxHat - meanDxHat - xHat * meanDxHatXHat)
                }
            }
        }
        return (dx, dGamma, dBeta)
    }

    /// `(channel, flat index)` of every element of group `group` of sample `sample`.
    private static func groupIndices(sample: Int, group: Int, channels: Int, groupChannels: Int,
                                     pixels: Int) -> [(channel: Int, index: Int)] {
        var indices: [(channel: Int, index: Int)] = []
        for channel in (group * groupChannels)..<((group + 1) * groupChannels) {
            for p in 0..<pixels { indices.append((channel, (sample * channels + channel) * pixels + p)) }
        }
        return indices
    }
}
