import MSKernels

/// The layers of MSNN written with the Double oracles of MSKernels, each reading its parameters
/// by path from a `ReferenceParameters` and checking their shapes. These are the building blocks
/// of `ReferenceUNet`, `ReferenceResNet` and `ReferenceESPCN`.
extension ReferenceParameters {
    /// `Conv2dLayer`: `out = conv(x; path.weight [C_out, C_in, K, K]) + path.bias [C_out]`,
    /// `[N, C_in, H, W] → [N, C_out, H_out, W_out]` (`Conv2dReference`); padding `K/2` unless given.
    func conv(_ x: ReferenceActivation, _ path: String, outputChannels: Int, kernelSize: Int, stride: Int = 1,
              padding: Int? = nil) -> ReferenceActivation {
        let geometry = Conv2dGeometry(inputShape: x.shape, outputChannels: outputChannels, kernelSize: kernelSize,
                                      stride: stride, padding: padding ?? kernelSize / 2)
        let weight = parameter(path + ".weight", shape: [outputChannels, x.channels, kernelSize, kernelSize])
        let bias = parameter(path + ".bias", shape: [outputChannels])
        return ReferenceActivation(Conv2dReference.forward(input: x.values, weight: weight, bias: bias, geometry: geometry),
                                   shape: geometry.outputShape)
    }

    /// `LinearLayer`: `y = x · Wᵀ + b`, `[N, in] → [N, out]` with `path.weight` `[out, in]` and
    /// `path.bias` `[out]` (`LinearReference`).
    func linear(_ x: ReferenceActivation, _ path: String, outputFeatures: Int) -> ReferenceActivation {
        let inputFeatures = x.shape[1]
        let weight = parameter(path + ".weight", shape: [outputFeatures, inputFeatures])
        let bias = parameter(path + ".bias", shape: [outputFeatures])
        return ReferenceActivation(LinearReference.forward(input: x.values, weight: weight, bias: bias,
                                                           inputFeatures: inputFeatures, outputFeatures: outputFeatures),
                                   shape: [x.shape[0], outputFeatures])
    }

    /// `GroupNormLayer`: `y = γ_c (x − μ)/√(σ² + 10⁻⁵) + β_c` per (sample, group), with
    /// `γ = path.weight`, `β = path.bias` `[C]` (`GroupNormReference`); `groups: 1` is the
    /// LayerNorm over `(C, H, W)`.
    func groupNorm(_ x: ReferenceActivation, _ path: String, groups: Int) -> ReferenceActivation {
        let gamma = parameter(path + ".weight", shape: [x.channels]), beta = parameter(path + ".bias", shape: [x.channels])
        return ReferenceActivation(GroupNormReference.forward(x.values, shape: x.shape, groups: groups,
                                                              gamma: gamma, beta: beta).output,
                                   shape: x.shape)
    }

    /// `TimeEmbeddingMLP`: `[N]` times → sinusoids of `1000·t` of width `D`
    /// (`TimeEmbeddingReference`) → Linear(`path.0`, D → E) → SiLU → Linear(`path.2`, E → E) → `[N, E]`.
    func timeEmbedding(_ time: [Double], _ path: String, sinusoidDimension: Int,
                       embeddingDimension: Int) -> ReferenceActivation {
        let sinusoids = ReferenceActivation(TimeEmbeddingReference.sinusoidal(time.map { 1000 * $0 }, dimension: sinusoidDimension),
                                            shape: [time.count, sinusoidDimension])
        let hidden = linear(sinusoids, path + ".0", outputFeatures: embeddingDimension).activated(.silu)
        return linear(hidden, path + ".2", outputFeatures: embeddingDimension)
    }
}
