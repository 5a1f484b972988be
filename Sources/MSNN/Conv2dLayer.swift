import MSKernels
import MSSpatial
import MSTensor

/// A 2-D convolution with weights `[C_out, C_in, K, K]` and bias `[C_out]` in a
/// `ParameterStore`. Padding defaults to `K/2` ("same" size at stride 1).
public final class Conv2dLayer {
    public let weight: Parameter
    public let bias: Parameter?
    public let inputChannels, outputChannels, kernelSize, stride, padding: Int
    /// The first layer of a network has no use for its input gradient.
    public let computesInputGradient: Bool

    /// Registers `path.weight` and `path.bias`. Weights and bias are drawn uniformly on
    /// ±1/sqrt(C_in·K²) (PyTorch's default), or zero when `zeroInitialized`.
    public init(store: ParameterStore, path: String, inputChannels: Int, outputChannels: Int,
                kernelSize: Int, stride: Int = 1, padding: Int? = nil, bias: Bool = true,
                zeroInitialized: Bool = false, computesInputGradient: Bool = true) {
        let fanIn = inputChannels * kernelSize * kernelSize
        let initializer: Initializer = zeroInitialized ? .zeros : .fanIn(fanIn)
        self.weight = store.register(path + ".weight", shape: [outputChannels, inputChannels, kernelSize, kernelSize],
                                     initializer: initializer)
        self.bias = bias ? store.register(path + ".bias", shape: [outputChannels], initializer: initializer) : nil
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding ?? kernelSize / 2
        self.computesInputGradient = computesInputGradient
    }

    /// `[N, C_in, H, W] → [N, C_out, H_out, W_out]`, or with `strips` this rank's strip of
    /// each. The pullback accumulates the weight and bias gradients (this strip's share) and
    /// returns the input gradient, or an empty tensor for a layer built with
    /// `computesInputGradient: false`.
    public func forward(_ input: Tensor, strips: StripLayout?) -> (output: Tensor, pullback: (Tensor) -> Tensor) {
        precondition(input.channels == inputChannels,
                     "Conv2dLayer(\(weight.slot.path)): input \(input.shape) has \(input.channels) channels, expected \(inputChannels)")
        if let strips { return forward(strip: input, strips) }
        let geometry = Conv2dGeometry(inputShape: input.shape, outputChannels: outputChannels,
                                      kernelSize: kernelSize, stride: stride, padding: padding)
        let output = Conv2d.forward(input, weight: weight.value, bias: bias?.value, geometry: geometry)
        return (output, { [self] outputGradient in
            Conv2d.backward(outputGradient: outputGradient, input: input, weight: weight.value, geometry: geometry,
                            weightGradient: weight.gradient, biasGradient: bias?.gradient,
                            computeInputGradient: computesInputGradient) ?? Tensor(shape: [0])
        })
    }
}

extension Conv2dLayer {
    /// `forward` on this rank's strip: the halo rows come from the neighbouring strips, and the
    /// input gradient of borrowed rows goes back to their owners.
    private func forward(strip input: Tensor, _ strips: StripLayout) -> (output: Tensor, pullback: (Tensor) -> Tensor) {
        precondition(input.height == strips.ownRows.count,
                     "Conv2dLayer(\(weight.slot.path)): a strip of \(input.height) rows, the layout gives this rank \(strips.ownRows.count)")
        let geometry = Conv2dGeometry(batch: input.batch, inputChannels: inputChannels, outputChannels: outputChannels,
                                      inputHeight: strips.rows.height, inputWidth: input.width,
                                      kernelSize: kernelSize, stride: stride, padding: padding)
        let convolution = StripConvolution(geometry: geometry, inputRows: strips.rows)
        let (output, borrowed) = convolution.forward(input, weight: weight.value, bias: bias?.value, group: strips.group)
        return (output, { [self] outputGradient in
            convolution.backward(outputGradient: outputGradient, strip: input, borrowed: borrowed, weight: weight.value,
                                 weightGradient: weight.gradient, biasGradient: bias?.gradient, group: strips.group)
        })
    }
}

/// A fully connected layer `[N, in] → [N, out]`, weights `[out, in]`, bias `[out]`.
public final class LinearLayer {
    public let weight: Parameter
    public let bias: Parameter
    public let inputFeatures, outputFeatures: Int

    public init(store: ParameterStore, path: String, inputFeatures: Int, outputFeatures: Int) {
        weight = store.register(path + ".weight", shape: [outputFeatures, inputFeatures], initializer: .fanIn(inputFeatures))
        bias = store.register(path + ".bias", shape: [outputFeatures], initializer: .fanIn(inputFeatures))
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
    }

    /// The pullback accumulates weight and bias gradients and returns the input gradient.
    public func forward(_ input: Tensor) -> (output: Tensor, pullback: (Tensor) -> Tensor) {
        let output = Linear.forward(input, weight: weight.value, bias: bias.value, outputFeatures: outputFeatures)
        return (output, { [self] outputGradient in
            Linear.backward(outputGradient: outputGradient, input: input, weight: weight.value,
                            weightGradient: weight.gradient, biasGradient: bias.gradient)
        })
    }
}

/// GroupNorm with per-channel scale and shift `[C]` (initialised to 1 and 0). With
/// `groups: 1` it is LayerNorm over `(C, H, W)` with a per-channel affine map, which keeps
/// the layer independent of the resolution.
public final class GroupNormLayer {
    public let gamma: Parameter
    public let beta: Parameter
    public let channels, groups: Int

    public init(store: ParameterStore, path: String, channels: Int, groups: Int) {
        precondition(channels % groups == 0, "GroupNormLayer(\(path)): \(groups) groups do not divide \(channels) channels")
        gamma = store.register(path + ".weight", shape: [channels], initializer: .ones)
        beta = store.register(path + ".bias", shape: [channels], initializer: .zeros)
        self.channels = channels
        self.groups = groups
    }

    /// The pullback accumulates the scale and shift gradients and returns the input gradient.
    /// With `strips`, `input` is this rank's strip and the statistics are over all strips.
    public func forward(_ input: Tensor, strips: StripLayout? = nil) -> (output: Tensor, pullback: (Tensor) -> Tensor) {
        let split = strips?.splitGroups(channelsPerGroup: channels / groups, width: input.width)
        let (output, statistics) = GroupNorm.forward(input, groups: groups, gamma: gamma.value, beta: beta.value, split: split)
        return (output, { [self] outputGradient in
            GroupNorm.backward(outputGradient: outputGradient, input: input, statistics: statistics, groups: groups,
                               gamma: gamma.value, gammaGradient: gamma.gradient, betaGradient: beta.gradient, split: split)
        })
    }
}

extension Activation {
    /// Forward with a pullback, for composing layers.
    public func callAsFunction(_ input: Tensor) -> (output: Tensor, pullback: (Tensor) -> Tensor) {
        (forward(input), { self.backward(outputGradient: $0, input: input) })
    }
}

/// Inverted dropout whose masks depend only on `(seed, sample id, layer)`.
public struct DropoutLayer {
    public let probability: Float
    public let tag: UInt64

    public init(path: String, probability: Float) {
        self.probability = probability
        self.tag = stableTag(path)
    }

    /// Identity when not training or when the probability is 0.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: (Tensor) -> Tensor) {
        guard context.training, probability > 0 else { return (input, { $0 }) }
        let strip = context.strips.map { Dropout.StripRows(rows: $0.ownRows, imageHeight: $0.rows.height) }
        let (output, mask) = Dropout.forward(input, probability: probability, seed: context.seed,
                                             sampleIDs: context.sampleIDs, tag: tag, strip: strip)
        return (output, { Dropout.backward(outputGradient: $0, mask: mask) })
    }
}
