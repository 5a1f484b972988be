import MSKernels
import MSNN

/// Slow Float64 forward of `ESPCN`, composed only of the Double oracles of MSKernels, with the
/// parameters read by path (the slot names of ESPCN.swift). For the upsampled image `x`
/// `[N, C, H, W]`:
///
///     h = LeakyReLU_0.2(LN(conv_i(h))),  i = 0 … 3:  5×5 C → 64, 3×3 64 → 64, 64 → 32, 32 → 32
///                                        (espcn.conv.i, espcn.norm.i; h starts as x)
///     y = x + conv1×1(h)                 32 → C   (espcn.output)
///
/// with LN the LayerNorm over `(C, H, W)` with a per-channel affine map (GroupNorm, 1 group).
public enum ReferenceESPCN {
    /// `(output channels, kernel size)` of the four hidden convolutions.
    static let layers = [(64, 5), (64, 3), (32, 3), (32, 3)]

    /// `observeLeakyReLUInput` is called with the input of every LeakyReLU, for tests that need
    /// to know how close the network sits to its kink.
    public static func forward(_ x: ReferenceActivation, configuration: ModelConfiguration, parameters p: ReferenceParameters,
                               observeLeakyReLUInput: (ReferenceActivation) -> Void = { _ in }) -> ReferenceActivation {
        var h = x
        for (i, (channels, kernelSize)) in layers.enumerated() {
            let u = p.groupNorm(p.conv(h, "espcn.conv.\(i)", outputChannels: channels, kernelSize: kernelSize),
                                "espcn.norm.\(i)", groups: 1)
            observeLeakyReLUInput(u)
            h = u.activated(.leakyReLU(slope: 0.2))
        }
        return x + p.conv(h, "espcn.output", outputChannels: configuration.imageChannels, kernelSize: 1)
    }
}
