import MSKernels
import MSNN

/// Slow Float64 forward of `ResNet`, composed only of the Double oracles of MSKernels, with the
/// parameters read by path (the slot names of ResNet.swift). With width `w`, for `x`
/// `[N, C, H, W]` and times `t` `[N]`:
///
///     temb = MLP(sinusoids_w(1000·t))                            [N, w]   (resnet.time)
///     h = conv1×1(x)                                             [N, w, H, W]   (resnet.input)
///     block b = 0, 1: u = LN(conv3×3(h) + Linear(temb)[:, :, None, None])
///                     h = h + conv3×3(LeakyReLU_0.2(u))          (resnet.block.b)
///     y = 10⁻³ · conv1×1(h)                                      [N, C, H, W]   (resnet.output)
///
/// with LN the LayerNorm over `(C, H, W)` with a per-channel affine map (GroupNorm, 1 group).
public enum ReferenceResNet {
    /// `observeLeakyReLUInput` is called with every `u` above, for tests that need to know how
    /// close the network sits to LeakyReLU's kink.
    public static func forward(_ x: ReferenceActivation, time: [Double], configuration: ModelConfiguration,
                               parameters p: ReferenceParameters,
                               observeLeakyReLUInput: (ReferenceActivation) -> Void = { _ in }) -> ReferenceActivation {
        let width = configuration.baseWidth
        let embedding = p.timeEmbedding(time, "resnet.time", sinusoidDimension: width, embeddingDimension: width)
        var h = p.conv(x, "resnet.input", outputChannels: width, kernelSize: 1)
        for b in 0..<2 {
            let path = "resnet.block.\(b)"
            let c1 = p.conv(h, path + ".conv1", outputChannels: width, kernelSize: 3)
            let projected = p.linear(embedding, path + ".time", outputFeatures: width)
            let u = p.groupNorm(c1.addingPerChannel(projected.values), path + ".norm", groups: 1)
            observeLeakyReLUInput(u)
            h = h + p.conv(u.activated(.leakyReLU(slope: 0.2)), path + ".conv2", outputChannels: width, kernelSize: 3)
        }
        let out = p.conv(h, "resnet.output", outputChannels: configuration.imageChannels, kernelSize: 1)
        return out.scaled(by: Double(ResNet.outputScale))
    }
}
