import MSKernels
import MSSpatial
import MSTensor

/// The UNet's residual block (guided-diffusion style), `[N, C_in, H, W] → [N, C_out, H, W]`:
///
///     h = conv1(SiLU(GN1(x))) + Linear(SiLU(temb))[:, :, None, None]
///     h = conv2(dropout(SiLU(GN2(h))))
///     y = skip(x) + h,    skip = identity if C_in == C_out, else a 1×1 convolution
public final class UNetResidualBlock {
    let norm1, norm2: GroupNormLayer
    let conv1, conv2: any SpatialConvolution
    let timeProjection: LinearLayer
    let skip: Conv2dLayer?
    let dropout: DropoutLayer

    public init(store: ParameterStore, path: String, inputChannels: Int, outputChannels: Int,
                embeddingDimension: Int, groups: Int, dropout: Float, configuration: ModelConfiguration) {
        norm1 = GroupNormLayer(store: store, path: path + ".norm1", channels: inputChannels, groups: groups)
        conv1 = configuration.spatialConvolution(store: store, path: path + ".conv1", inputChannels: inputChannels,
                                                 outputChannels: outputChannels, kernelSize: 3)
        timeProjection = LinearLayer(store: store, path: path + ".time", inputFeatures: embeddingDimension,
                                     outputFeatures: outputChannels)
        norm2 = GroupNormLayer(store: store, path: path + ".norm2", channels: outputChannels, groups: groups)
        conv2 = configuration.spatialConvolution(store: store, path: path + ".conv2", inputChannels: outputChannels,
                                                 outputChannels: outputChannels, kernelSize: 3)
        skip = inputChannels == outputChannels ? nil
            : Conv2dLayer(store: store, path: path + ".skip", inputChannels: inputChannels,
                          outputChannels: outputChannels, kernelSize: 1)
        self.dropout = DropoutLayer(path: path + ".dropout", probability: dropout)
    }

    /// The pullback returns `(dL/dx, dL/dtemb)` and accumulates parameter gradients.
    public func forward(_ x: Tensor, embedding: Tensor, context: ForwardContext)
        -> (output: Tensor, pullback: (Tensor) -> (input: Tensor, embedding: Tensor)) {
        let strips = context.strips
        let (n1, backNorm1) = norm1.forward(x, strips: strips)
        let (a1, backAct1) = Activation.silu(n1)
        let (c1, backConv1) = conv1.forward(a1, strips: strips)
        let (ae, backActE) = Activation.silu(embedding)
        let (projected, backProjection) = timeProjection.forward(ae)
        let h = Channels.addPerChannel(c1, projected)
        let (n2, backNorm2) = norm2.forward(h, strips: strips)
        let (a2, backAct2) = Activation.silu(n2)
        let (d2, backDropout) = dropout.forward(a2, context: context)
        let (c2, backConv2) = conv2.forward(d2, strips: strips)
        let (skipped, backSkip) = skip?.forward(x, strips: strips) ?? (x, { $0 })
        let output = skipped + c2
        return (output, { g in
            let dh = backNorm2(backAct2(backDropout(backConv2(g))))
            let dEmbedding = backActE(backProjection(Channels.sumOverPixels(dh)))
            let dx = backNorm1(backAct1(backConv1(dh))) + backSkip(g)
            return (dx, dEmbedding)
        })
    }
}

/// The ResNet's residual block, `[N, C, H, W] → [N, C, H, W]`:
///
///     y = x + conv2(LeakyReLU_0.2(LN(conv1(x) + Linear(temb)[:, :, None, None])))
///
/// with LN the LayerNorm over `(C, H, W)` with a per-channel affine map.
public final class ResNetResidualBlock {
    let conv1, conv2: any SpatialConvolution
    let norm: GroupNormLayer
    let timeProjection: LinearLayer
    let activation = Activation.leakyReLU(slope: 0.2)

    public init(store: ParameterStore, path: String, channels: Int, embeddingDimension: Int, configuration: ModelConfiguration) {
        conv1 = configuration.spatialConvolution(store: store, path: path + ".conv1", inputChannels: channels,
                                                 outputChannels: channels, kernelSize: 3)
        timeProjection = LinearLayer(store: store, path: path + ".time", inputFeatures: embeddingDimension, outputFeatures: channels)
        norm = GroupNormLayer(store: store, path: path + ".norm", channels: channels, groups: 1)
        conv2 = configuration.spatialConvolution(store: store, path: path + ".conv2", inputChannels: channels,
                                                 outputChannels: channels, kernelSize: 3)
    }

    /// The pullback returns `(dL/dx, dL/dtemb)` and accumulates parameter gradients.
    public func forward(_ x: Tensor, embedding: Tensor, strips: StripLayout?)
        -> (output: Tensor, pullback: (Tensor) -> (input: Tensor, embedding: Tensor)) {
        let (c1, backConv1) = conv1.forward(x, strips: strips)
        let (projected, backProjection) = timeProjection.forward(embedding)
        let (n, backNorm) = norm.forward(Channels.addPerChannel(c1, projected), strips: strips)
        let (a, backAct) = activation(n)
        let (c2, backConv2) = conv2.forward(a, strips: strips)
        return (x + c2, { g in
            let dh = backNorm(backAct(backConv2(g)))
            let dEmbedding = backProjection(Channels.sumOverPixels(dh))
            return (g + backConv1(dh), dEmbedding)
        })
    }
}

/// Single-head self-attention over pixels with a residual connection (the UNet middle-block
/// option): `q, k, v = split(conv1×1(GN(x)))`, `y = x + proj(attention(q, k, v))`, where
/// `proj` is a zero-initialised 1×1 convolution and the attention is over the `P = H·W` pixels.
public final class AttentionBlock {
    let norm: GroupNormLayer
    let qkv: Conv2dLayer
    let projection: Conv2dLayer
    let channels: Int

    public init(store: ParameterStore, path: String, channels: Int, groups: Int) {
        self.channels = channels
        norm = GroupNormLayer(store: store, path: path + ".norm", channels: channels, groups: groups)
        qkv = Conv2dLayer(store: store, path: path + ".qkv", inputChannels: channels, outputChannels: 3 * channels, kernelSize: 1)
        projection = Conv2dLayer(store: store, path: path + ".proj", inputChannels: channels, outputChannels: channels,
                                 kernelSize: 1, zeroInitialized: true)
    }

    /// With `strips`, `x` is this rank's strip: the block is global over the pixels, so the
    /// group gathers the whole map, every rank computes the block on it, and keeps its rows.
    /// The backward pass gathers the output gradient likewise; every rank then holds the same
    /// parameter gradients, and keeps 1/G of them so that the step's allreduce counts them once.
    public func forward(_ x: Tensor, strips: StripLayout?) -> (output: Tensor, pullback: (Tensor) -> Tensor) {
        guard let strips else { return forward(x) }
        let (y, back) = forward(strips.gather(x))
        return (y.rows(strips.ownRows), { [self] g in
            let parameters = [norm.gamma, norm.beta, qkv.weight, qkv.bias!, projection.weight, projection.bias!]
            let before = parameters.map { Array($0.gradient) }
            let dx = back(strips.gather(g))
            let share = 1 / Float(strips.rows.parts)
            for (parameter, old) in zip(parameters, before) {
                let gradient = parameter.gradient
                for i in gradient.indices { gradient[i] = old[i] + (gradient[i] - old[i]) * share }
            }
            return dx.rows(strips.ownRows)
        })
    }

    public func forward(_ x: Tensor) -> (output: Tensor, pullback: (Tensor) -> Tensor) {
        let (n, backNorm) = norm.forward(x)
        let (qkvOut, backQKV) = qkv.forward(n)
        let (q, kv) = Channels.split(qkvOut, firstChannels: channels)
        let (k, v) = Channels.split(kv, firstChannels: channels)
        let pixels = [x.batch, channels, x.height * x.width]
        let (q3, k3, v3) = (q.reshaped(pixels), k.reshaped(pixels), v.reshaped(pixels))
        let (attended, probabilities) = Attention.forward(query: q3, key: k3, value: v3)
        let (projected, backProjection) = projection.forward(attended.reshaped(x.shape))
        return (x + projected, { g in
            let dAttended = backProjection(g).reshaped(pixels)
            let d = Attention.backward(outputGradient: dAttended, query: q3, key: k3, value: v3, probabilities: probabilities)
            let dQKV = Channels.concatenate(d.query.reshaped(x.shape),
                                            Channels.concatenate(d.key.reshaped(x.shape), d.value.reshaped(x.shape)))
            return g + backNorm(backQKV(dQKV))
        })
    }
}
