import MSKernels
import MSTensor

/// Time-conditioned UNet (guided-diffusion style; docs/method.md section 6). With base width `w`
/// and multipliers `(m_0, …, m_{L−1})`, for an `[N, C, H, W]` input:
///
///     h = conv_in(x)                                         [N, w·m_0, H, W]
///     down i: h = res_i(h, temb); keep skip_i; if i < L−1: h = conv3×3 stride 2 (h)
///     middle: h = res(h, temb) [→ attention(h)]             [N, w·m_{L−1}, H/2^{L−1}, …]
///     up i (L−1 … 0): h = res(concat(h, skip_i), temb); if i > 0: h = conv(nearest×2(h))
///     y = conv_out(SiLU(GN(h)))                              zero-initialised, [N, C, H, W]
///
/// The total stride is `2^{L−1}` (4 for the default multipliers (1, 2, 4)). With
/// `convolution: .mfc` every 3×3 convolution (stride-2 ones included) is a `MeshFreeConvLayer`.
public final class UNet: Model {
    public let configuration: ModelConfiguration
    public let parameters: ParameterStore
    public var totalStride: Int { 1 << (configuration.widthMultipliers.count - 1) }

    let time: TimeEmbeddingMLP
    let inputConv: any SpatialConvolution
    let downBlocks: [UNetResidualBlock]
    let downsamples: [any SpatialConvolution]
    let middle: UNetResidualBlock
    let attention: AttentionBlock?
    let upBlocks: [UNetResidualBlock]       // coarsest first
    let upsampleConvs: [any SpatialConvolution]        // coarsest first
    let outputNorm: GroupNormLayer
    let outputConv: any SpatialConvolution

    init(_ configuration: ModelConfiguration, seed: UInt64) {
        self.configuration = configuration
        let store = ParameterStore(seed: seed)
        parameters = store
        let base = configuration.baseWidth, groups = configuration.groups, dropout = configuration.dropout
        let widths = configuration.widthMultipliers.map { base * $0 }
        let embedding = 4 * base
        time = TimeEmbeddingMLP(store: store, path: "unet.time", sinusoidDimension: base, embeddingDimension: embedding)
        inputConv = configuration.spatialConvolution(store: store, path: "unet.input", inputChannels: configuration.imageChannels,
                                                     outputChannels: widths[0], kernelSize: 3, computesInputGradient: false)
        var down: [UNetResidualBlock] = [], downsamples: [any SpatialConvolution] = []
        var channels = widths[0]
        for (i, width) in widths.enumerated() {
            down.append(UNetResidualBlock(store: store, path: "unet.down.\(i).res", inputChannels: channels, outputChannels: width,
                                          embeddingDimension: embedding, groups: groups, dropout: dropout,
                                          configuration: configuration))
            channels = width
            if i < widths.count - 1 {
                downsamples.append(configuration.spatialConvolution(store: store, path: "unet.down.\(i).downsample",
                                                                    inputChannels: width, outputChannels: width, kernelSize: 3,
                                                                    stride: 2))
            }
        }
        downBlocks = down
        self.downsamples = downsamples
        middle = UNetResidualBlock(store: store, path: "unet.middle.res", inputChannels: channels, outputChannels: channels,
                                   embeddingDimension: embedding, groups: groups, dropout: dropout, configuration: configuration)
        attention = configuration.attention
            ? AttentionBlock(store: store, path: "unet.middle.attention", channels: channels, groups: groups) : nil
        var up: [UNetResidualBlock] = [], upsampleConvs: [any SpatialConvolution] = []
        for i in stride(from: widths.count - 1, through: 0, by: -1) {
            up.append(UNetResidualBlock(store: store, path: "unet.up.\(i).res", inputChannels: channels + widths[i],
                                        outputChannels: widths[i], embeddingDimension: embedding, groups: groups, dropout: dropout,
                                        configuration: configuration))
            channels = widths[i]
            if i > 0 {
                upsampleConvs.append(configuration.spatialConvolution(store: store, path: "unet.up.\(i).upsample",
                                                                      inputChannels: channels, outputChannels: channels, kernelSize: 3))
            }
        }
        upBlocks = up
        self.upsampleConvs = upsampleConvs
        outputNorm = GroupNormLayer(store: store, path: "unet.output.norm", channels: channels, groups: groups)
        outputConv = configuration.spatialConvolution(store: store, path: "unet.output.conv", inputChannels: channels,
                                                      outputChannels: configuration.imageChannels, kernelSize: 3,
                                                      zeroInitialized: true)
        store.seal()
    }

    public func forward(_ input: Tensor, time t: [Float], context: ForwardContext) throws
        -> (output: Tensor, pullback: (Tensor) -> Void) {
        try checkInput(input.shape, time: t, conditioned: true, context: context)
        let levels = downBlocks.count
        let (embedding, backTime) = time.forward(t)
        /// The context of level i, whose maps are 2^i times smaller than the input.
        let split = (0..<levels).map { context.downsampled(by: 1 << $0) }
        /// On strips, the first level whose strips are too small to split: from there to the
        /// same level on the way up, every rank of the group computes the maps whole.
        let wholeFrom = context.strips == nil ? levels : (0..<levels).first { split[$0].strips!.isTooSmallToSplit } ?? levels
        let contexts = split.enumerated().map { level, levelContext in
            var inRegion = levelContext
            if level >= wholeFrom { inRegion.strips = nil }
            return inRegion
        }
        var backEnter: ((Tensor) -> Tensor)?, backLeaveAtTop: ((Tensor) -> Tensor)?

        var (h, backInput) = inputConv.forward(input, strips: context.strips)
        var skips: [Tensor] = []
        var downBacks: [(Tensor) -> (input: Tensor, embedding: Tensor)] = []
        var downsampleBacks: [(Tensor) -> Tensor] = []
        for i in 0..<levels {
            if i == wholeFrom { (h, backEnter) = split[i].strips!.enteringWhole(h) }
            let (r, back) = downBlocks[i].forward(h, embedding: embedding, context: contexts[i])
            if context.keepsPullback { downBacks.append(back) }
            skips.append(r)
            h = r
            if i < levels - 1 {
                let (d, backDown) = downsamples[i].forward(h, strips: contexts[i].strips)
                if context.keepsPullback { downsampleBacks.append(backDown) }
                h = d
            }
        }
        let (m, backMiddle) = middle.forward(h, embedding: embedding, context: contexts[levels - 1])
        h = m
        var backAttention: ((Tensor) -> Tensor)?
        if let attention {
            let (a, back) = attention.forward(h, strips: contexts[levels - 1].strips)
            backAttention = back
            h = a
        }
        var upBacks: [(Tensor) -> (input: Tensor, embedding: Tensor)] = []
        var upsampleBacks: [(Tensor) -> Tensor] = []
        var skipChannels: [Int] = []
        for (j, i) in stride(from: levels - 1, through: 0, by: -1).enumerated() {
            skipChannels.append(h.channels)
            let (r, back) = upBlocks[j].forward(Channels.concatenate(h, skips[i]), embedding: embedding, context: contexts[i])
            if context.keepsPullback { upBacks.append(back) }
            h = r
            if i > 0 {
                var upsampled = Resample.upsampleNearest(h)
                var backLeave: ((Tensor) -> Tensor)?
                if i == wholeFrom { (upsampled, backLeave) = split[i - 1].strips!.leavingWhole(upsampled) }
                let (c, backConv) = upsampleConvs[j].forward(upsampled, strips: contexts[i - 1].strips)
                if context.keepsPullback {
                    upsampleBacks.append { g in Resample.upsampleNearestBackward(backLeave.map { $0(backConv(g)) } ?? backConv(g)) }
                }
                h = c
            }
        }
        if wholeFrom == 0 { (h, backLeaveAtTop) = split[0].strips!.leavingWhole(h) }
        let (n, backNorm) = outputNorm.forward(h, strips: context.strips)
        let (a, backAct) = Activation.silu(n)
        let (output, backOutput) = outputConv.forward(a, strips: context.strips)
        guard context.keepsPullback else { return (output, ForwardContext.noPullback) }
        return (output, { g in
            var dh = backNorm(backAct(backOutput(g)))
            if let backLeaveAtTop { dh = backLeaveAtTop(dh) }
            var dEmbedding = Tensor(shape: embedding.shape)
            var dSkips = [Tensor?](repeating: nil, count: levels)
            for (j, i) in stride(from: levels - 1, through: 0, by: -1).enumerated().reversed() {
                if i > 0 { dh = upsampleBacks[j](dh) }
                let d = upBacks[j](dh)
                dEmbedding = dEmbedding + d.embedding
                let (dPrevious, dSkip) = Channels.split(d.input, firstChannels: skipChannels[j])
                dSkips[i] = dSkip
                dh = dPrevious
            }
            if let backAttention { dh = backAttention(dh) }
            let dm = backMiddle(dh)
            dEmbedding = dEmbedding + dm.embedding
            dh = dm.input
            for i in stride(from: levels - 1, through: 0, by: -1) {
                if i < levels - 1 { dh = downsampleBacks[i](dh) }
                dh = dh + dSkips[i]!
                let d = downBacks[i](dh)
                dEmbedding = dEmbedding + d.embedding
                dh = d.input
                if i == wholeFrom { dh = backEnter!(dh) }
            }
            _ = backInput(dh)
            backTime(dEmbedding)
        })
    }
}
