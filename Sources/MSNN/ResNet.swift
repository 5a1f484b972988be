import MSKernels
import MSTensor

/// The ResNet of docs/method.md section 6, width `w` (default 128), for `[N, C, H, W]` inputs:
///
///     h = conv1×1(x)                 C → w
///     h = block_b(h, temb), b = 0, 1 (see `ResNetResidualBlock`)
///     y = 1e-3 · conv1×1(h)          w → C
///
/// The time embedding is the same sinusoidal MLP as the UNet's, of width `w`. Total stride 1.
/// With `convolution: .mfc` the blocks' 3×3 convolutions are mesh-free ones.
public final class ResNet: Model {
    public let configuration: ModelConfiguration
    public let parameters: ParameterStore
    public let totalStride = 1
    /// Fixed factor on the output layer, so that an untrained network predicts almost zero.
    public static let outputScale: Float = 1e-3

    let time: TimeEmbeddingMLP
    let inputConv: Conv2dLayer
    let blocks: [ResNetResidualBlock]
    let outputConv: Conv2dLayer

    init(_ configuration: ModelConfiguration, seed: UInt64) {
        self.configuration = configuration
        let store = ParameterStore(seed: seed)
        parameters = store
        let width = configuration.baseWidth
        time = TimeEmbeddingMLP(store: store, path: "resnet.time", sinusoidDimension: width, embeddingDimension: width)
        inputConv = Conv2dLayer(store: store, path: "resnet.input", inputChannels: configuration.imageChannels,
                                outputChannels: width, kernelSize: 1, computesInputGradient: false)
        blocks = (0..<2).map {
            ResNetResidualBlock(store: store, path: "resnet.block.\($0)", channels: width, embeddingDimension: width,
                                configuration: configuration)
        }
        outputConv = Conv2dLayer(store: store, path: "resnet.output", inputChannels: width,
                                 outputChannels: configuration.imageChannels, kernelSize: 1)
        store.seal()
    }

    public func forward(_ input: Tensor, time t: [Float], context: ForwardContext) throws
        -> (output: Tensor, pullback: (Tensor) -> Void) {
        try checkInput(input.shape, time: t, conditioned: true, context: context)
        let strips = context.strips
        let (embedding, backTime) = time.forward(t)
        var (h, backInput) = inputConv.forward(input, strips: strips)
        var blockBacks: [(Tensor) -> (input: Tensor, embedding: Tensor)] = []
        for block in blocks {
            let (next, back) = block.forward(h, embedding: embedding, strips: strips)
            if context.keepsPullback { blockBacks.append(back) }
            h = next
        }
        let (out, backOutput) = outputConv.forward(h, strips: strips)
        guard context.keepsPullback else { return (out * ResNet.outputScale, ForwardContext.noPullback) }
        return (out * ResNet.outputScale, { g in
            var dh = backOutput(g * ResNet.outputScale)
            var dEmbedding = Tensor(shape: embedding.shape)
            for back in blockBacks.reversed() {
                let d = back(dh)
                dh = d.input
                dEmbedding = dEmbedding + d.embedding
            }
            _ = backInput(dh)
            backTime(dEmbedding)
        })
    }
}
