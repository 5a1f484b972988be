import MSKernels
import MSTensor

/// The ESPCN-like super-resolution network of docs/method.md section 6. It works on the
/// bilinearly upsampled low-resolution image `x` `[N, C, H, W]` and predicts a residual:
///
///     h = LeakyReLU_0.2(LN(conv5×5(x)))      C → 64
///     h = LeakyReLU_0.2(LN(conv3×3(h)))      64 → 64, 64 → 32, 32 → 32
///     y = x + conv1×1(h)                     32 → C
///
/// LN is LayerNorm over `(C, H, W)` with a per-channel affine map. No time conditioning;
/// total stride 1. With `convolution: .mfc` the 5×5 and 3×3 convolutions are mesh-free ones.
public final class ESPCN: Model {
    public let configuration: ModelConfiguration
    public let parameters: ParameterStore
    public let totalStride = 1

    let convs: [any SpatialConvolution]
    let norms: [GroupNormLayer]
    let outputConv: Conv2dLayer
    let activation = Activation.leakyReLU(slope: 0.2)

    init(_ configuration: ModelConfiguration, seed: UInt64) {
        self.configuration = configuration
        let store = ParameterStore(seed: seed)
        parameters = store
        let layout = [(configuration.imageChannels, 64, 5), (64, 64, 3), (64, 32, 3), (32, 32, 3)]
        convs = layout.enumerated().map { i, l in
            configuration.spatialConvolution(store: store, path: "espcn.conv.\(i)", inputChannels: l.0, outputChannels: l.1,
                                             kernelSize: l.2, computesInputGradient: i > 0)
        }
        norms = layout.enumerated().map { i, l in
            GroupNormLayer(store: store, path: "espcn.norm.\(i)", channels: l.1, groups: 1)
        }
        outputConv = Conv2dLayer(store: store, path: "espcn.output", inputChannels: 32,
                                 outputChannels: configuration.imageChannels, kernelSize: 1)
        store.seal()
    }

    public func forward(_ input: Tensor, time t: [Float], context: ForwardContext) throws
        -> (output: Tensor, pullback: (Tensor) -> Void) {
        try checkInput(input.shape, time: t, conditioned: false, context: context)
        let strips = context.strips
        var h = input
        var backs: [(Tensor) -> Tensor] = []
        for (conv, norm) in zip(convs, norms) {
            let (c, backConv) = conv.forward(h, strips: strips)
            let (n, backNorm) = norm.forward(c, strips: strips)
            let (a, backAct) = activation(n)
            if context.keepsPullback { backs.append { backConv(backNorm(backAct($0))) } }
            h = a
        }
        let (residual, backOutput) = outputConv.forward(h, strips: strips)
        guard context.keepsPullback else { return (input + residual, ForwardContext.noPullback) }
        return (input + residual, { g in
            var dh = backOutput(g)
            for back in backs.reversed() { dh = back(dh) }
        })
    }
}
