import MSTensor

/// Saved statistics of a normalisation: per (sample, group) mean and 1/sqrt(var+eps), [N·G].
public struct NormStatistics: Equatable, Sendable {
    /// Mean `μ` of each (sample n, group g), at index `n·G + g`.
    public var mean: [Float]
    /// `1/√(σ² + ε)` of each (sample n, group g), at index `n·G + g`.
    public var inverseStd: [Float]

    public init(mean: [Float], inverseStd: [Float]) {
        precondition(mean.count == inverseStd.count,
                     "NormStatistics: \(mean.count) means but \(inverseStd.count) inverse deviations")
        self.mean = mean
        self.inverseStd = inverseStd
    }
}

/// Groups whose elements are spread over several ranks, each holding a strip of the same
/// images (spatial sharding): the statistics are sums over all strips.
public struct SplitGroups {
    /// Elements of one (sample, group) over the whole image, `(C/G)·H·W`.
    public var elementsPerGroup: Int
    /// Replaces a buffer of per-group sums by its element-wise sum over the strips (one
    /// reduction per call; every rank of the group calls it at the same point).
    public var reduce: (UnsafeMutableBufferPointer<Double>) -> Void

    public init(elementsPerGroup: Int, reduce: @escaping (UnsafeMutableBufferPointer<Double>) -> Void) {
        self.elementsPerGroup = elementsPerGroup
        self.reduce = reduce
    }
}

/// Group normalisation (Wu & He, 2018) of `[N, C, H, W]` activations with a per-channel affine
/// map, as PyTorch's `nn.GroupNorm`.
///
/// For sample `n` and group `g` (channels `g·C/G ..< (g+1)·C/G`), over the `m = (C/G)·H·W`
/// elements of the group:
///
///     μ = mean(x),  σ² = mean((x − μ)²)  (biased),  x̂ = (x − μ) / √(σ² + ε),  y = γ_c · x̂ + β_c
///
/// **LayerNorm** over `(C, H, W)` with a per-channel affine `[C]` (the ResNet and ESPCN
/// networks) is this kernel with `groups: 1`.
///
/// Statistics are summed in Double (blocks of Float32 lanes), and the variance is taken about the
/// mean in a second pass, so a large offset in `x` costs no accuracy. With `split` (groups
/// spread over the strips of several ranks) the strips' Σx and Σx² are reduced in one packed
/// call and `σ² = Σx²/M − μ²` in Double; the backward pass reduces its two sums likewise.
///
/// Legend: `n` sample, `g` group, `s = n·G + g` (the group's index; its elements are the
/// contiguous block `s·m ..< (s+1)·m`), `cg = C/G` channels per group, `k` channel within the
/// group, `hw = H·W`, `mu`/`inv` the group's `μ` and `1/√(σ² + ε)`.
public enum GroupNorm {
    /// `y = γ_c · (x − μ)/√(σ² + ε) + β_c` per (sample, group); see the type's documentation.
    ///
    /// - Parameters:
    ///   - x: `[N, C, H, W]`.
    ///   - groups: `G`, which divides `C`.
    ///   - gamma, beta: `[C]`.
    ///   - epsilon: `ε`, 1e-5 as PyTorch.
    /// - Returns: `y` `[N, C, H, W]` (a new tensor) and the statistics backward needs.
    public static func forward(_ x: Tensor, groups: Int, gamma: UnsafeBufferPointer<Float>,
                               beta: UnsafeBufferPointer<Float>, epsilon: Float = 1e-5, split: SplitGroups? = nil)
        -> (output: Tensor, statistics: NormStatistics)
    {
        let (cg, hw) = checkGeometry(x.shape, groups: groups, gamma: gamma.count, operation: "GroupNorm.forward")
        precondition(beta.count == x.channels, "GroupNorm.forward: beta has \(beta.count) entries for shape \(x.shape)")
        let m = cg * hw, groupCount = x.batch * groups
        var mean = [Float](repeating: 0, count: groupCount)
        var inverseStd = [Float](repeating: 0, count: groupCount)
        let output = x.withUnsafeBufferPointer { xb in
            Vectorised.makeTensor(shape: x.shape) { y in
                /// `y = γ_c·(x − μ_F)·inv + β_c − γ_c·inv·(μ − μ_F)` over group `s`, μ_F being μ rounded to Float.
                func normalise(_ s: Int, mu: Double, variance: Double) {
                    let muF = Float(mu)
                    let inv = Float(1 / (variance + Double(epsilon)).squareRoot())
                    mean[s] = muF
                    inverseStd[s] = inv
                    let xs = xb.baseAddress! + s * m, ys = y + s * m
                    let firstChannel = (s % groups) * cg
                    // The shift absorbs the rounding μ − μ_F.
                    let rounding = Float(mu - Double(muF))
                    for k in 0..<cg {
                        let scale = inv * gamma[firstChannel + k], shift = beta[firstChannel + k] - scale * rounding
                        Vectorised.map(xs + k * hw, into: ys + k * hw, count: hw) { v in
                            Vectorised.Vector(repeating: shift).addingProduct(v - muF, scale)
                        }
                    }
                }
                guard let split else {
                    for s in 0..<groupCount {
                        let xs = xb.baseAddress! + s * m
                        let mu = Vectorised.sum(count: m) { i, lanes in Vectorised.load(xs + i, lanes: lanes) } / Double(m)
                        let muF = Float(mu)
                        let squares = Vectorised.sum(count: m) { i, lanes in
                            let d = Vectorised.load(xs + i, lanes: lanes) - muF
                            return d * d
                        } / Double(m)
                        // Σ(x − μ_F)²/m = σ² + (μ − μ_F)².
                        normalise(s, mu: mu, variance: max(squares - (mu - Double(muF)) * (mu - Double(muF)), 0))
                    }
                    return
                }
                // Σx and Σx² of every group over this strip, then over all strips: one reduction.
                // Σx² is formed from the strip's squares about its own mean (Float lanes see no
                // large offset), Σx² = Σ(x − c)² + 2c·Σ(x − c) + m·c² with c = μ_strip in Float.
                var sums = [Double](repeating: 0, count: 2 * groupCount)
                for s in 0..<groupCount {
                    let xs = xb.baseAddress! + s * m
                    let total = Vectorised.sum(count: m) { i, lanes in Vectorised.load(xs + i, lanes: lanes) }
                    let c = Float(total / Double(m))
                    let squares = Vectorised.sum(count: m) { i, lanes in
                        let d = Vectorised.load(xs + i, lanes: lanes) - c
                        return d * d
                    }
                    let centre = Double(c)
                    (sums[2 * s], sums[2 * s + 1]) = (total, squares + 2 * centre * (total - Double(m) * centre) + Double(m) * centre * centre)
                }
                sums.withUnsafeMutableBufferPointer { split.reduce($0) }
                let count = Double(split.elementsPerGroup)
                for s in 0..<groupCount {
                    let mu = sums[2 * s] / count
                    normalise(s, mu: mu, variance: max(sums[2 * s + 1] / count - mu * mu, 0))
                }
            }
        }
        return (output, NormStatistics(mean: mean, inverseStd: inverseStd))
    }

    /// The pullback of `forward`:
    ///
    ///     dβ_c += Σ dy,   dγ_c += Σ dy · x̂,
    ///     dx = inv · (γ_c dy − mean_group(γ dy) − x̂ · mean_group(γ dy · x̂))
    ///
    /// where the sums run over the samples and pixels of channel `c`.
    ///
    /// - Parameters:
    ///   - outputGradient: `dL/dy` `[N, C, H, W]`.
    ///   - input: the forward input `x`, same shape.
    ///   - statistics: what `forward` returned for `input`.
    ///   - gammaGradient, betaGradient: `[C]`, **accumulated** into.
    /// - Returns: `dL/dx` `[N, C, H, W]` (a new tensor).
    public static func backward(outputGradient: Tensor, input: Tensor, statistics: NormStatistics, groups: Int,
                                gamma: UnsafeBufferPointer<Float>, gammaGradient: UnsafeMutableBufferPointer<Float>,
                                betaGradient: UnsafeMutableBufferPointer<Float>, split: SplitGroups? = nil) -> Tensor
    {
        let (cg, hw) = checkGeometry(input.shape, groups: groups, gamma: gamma.count, operation: "GroupNorm.backward")
        precondition(outputGradient.shape == input.shape,
                     "GroupNorm.backward: outputGradient \(outputGradient.shape) vs input \(input.shape)")
        precondition(gammaGradient.count == input.channels && betaGradient.count == input.channels,
                     "GroupNorm.backward: gradients of \(gammaGradient.count) and \(betaGradient.count) entries "
                         + "for shape \(input.shape)")
        let m = cg * hw, groupCount = input.batch * groups
        precondition(statistics.mean.count == groupCount && statistics.inverseStd.count == groupCount,
                     "GroupNorm.backward: statistics of \(statistics.mean.count) groups, expected N·G = \(groupCount)")
        return input.withUnsafeBufferPointer { xb in
            outputGradient.withUnsafeBufferPointer { gb in
                Vectorised.makeTensor(shape: input.shape) { dx in
                    /// `dx = (γ_c inv) dy + q (x − μ) + r` over group `s`, with `q = −inv² b/M`, `r = −inv a/M`.
                    func inputGradient(_ s: Int, a: Double, b: Double, count: Int) {
                        let xs = xb.baseAddress! + s * m, gs = gb.baseAddress! + s * m, dxs = dx + s * m
                        let muF = statistics.mean[s], inv = Double(statistics.inverseStd[s])
                        let firstChannel = (s % groups) * cg
                        let q = Float(-inv * inv * b / Double(count)), r = Float(-inv * a / Double(count))
                        for k in 0..<cg {
                            let p = Float(inv) * gamma[firstChannel + k], offset = k * hw
                            Vectorised.map(gs + offset, xs + offset, into: dxs + offset, count: hw) { g, v in
                                Vectorised.Vector(repeating: r).addingProduct(v - muF, q).addingProduct(g, p)
                            }
                        }
                    }
                    var sums = [Double](repeating: 0, count: split == nil ? 0 : 2 * groupCount)
                    for s in 0..<groupCount {
                        let xs = xb.baseAddress! + s * m, gs = gb.baseAddress! + s * m
                        let muF = statistics.mean[s], inv = Double(statistics.inverseStd[s])
                        let firstChannel = (s % groups) * cg
                        // a = Σ γ dy = Σ dx̂ and b = Σ γ dy x̂ = Σ dx̂ · x̂ over the group.
                        var a = 0.0, b = 0.0
                        for k in 0..<cg {
                            // (Σ dy, Σ dy · (x − μ)) over channel k of this sample.
                            let offset = k * hw
                            let sums = Vectorised.sumPair(count: hw) { i, lanes in
                                let g = Vectorised.load(gs + offset + i, lanes: lanes)
                                return (g, g * (Vectorised.load(xs + offset + i, lanes: lanes) - muF))
                            }
                            let c = firstChannel + k, gammaC = Double(gamma[c])
                            betaGradient[c] += Float(sums.0)
                            gammaGradient[c] += Float(inv * sums.1)
                            a += gammaC * sums.0
                            b += gammaC * inv * sums.1
                        }
                        if split == nil { inputGradient(s, a: a, b: b, count: m) } else { (sums[2 * s], sums[2 * s + 1]) = (a, b) }
                    }
                    // With split groups, a and b are sums over every strip: one reduction, then dx.
                    guard let split else { return }
                    sums.withUnsafeMutableBufferPointer { split.reduce($0) }
                    for s in 0..<groupCount { inputGradient(s, a: sums[2 * s], b: sums[2 * s + 1], count: split.elementsPerGroup) }
                }
            }
        }
    }

    /// Checks `x`'s shape against `groups` and `gamma`; returns `(C/G, H·W)`.
    private static func checkGeometry(_ shape: [Int], groups: Int, gamma: Int, operation: String) -> (Int, Int) {
        precondition(shape.count == 4, "\(operation): expected [N, C, H, W], got \(shape)")
        precondition(shape.allSatisfy { $0 > 0 }, "\(operation): empty axis in shape \(shape)")
        precondition(groups > 0 && shape[1] % groups == 0, "\(operation): \(groups) groups do not divide C in \(shape)")
        precondition(gamma == shape[1], "\(operation): gamma has \(gamma) entries for shape \(shape)")
        return (shape[1] / groups, shape[2] * shape[3])
    }
}
