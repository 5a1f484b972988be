import Foundation
import MSKernels
import MSSpatial
import MSTensor

/// A layer that maps `[N, C_in, H, W]` to `[N, C_out, H_out, W_out]` by a spatial filter: a
/// standard convolution or a mesh-free one, chosen by `ModelConfiguration.convolution`.
public protocol SpatialConvolution: AnyObject {
    /// The pullback accumulates parameter gradients and returns the input gradient (empty for
    /// a layer that does not compute it). With `strips`, `input` is this rank's strip of the images laid out so, and the output
    /// is its strip of the result (`StripConvolution`).
    func forward(_ input: Tensor, strips: StripLayout?) -> (output: Tensor, pullback: (Tensor) -> Tensor)
}

extension SpatialConvolution {
    /// On whole images.
    public func forward(_ input: Tensor) -> (output: Tensor, pullback: (Tensor) -> Tensor) { forward(input, strips: nil) }
}

extension Conv2dLayer: SpatialConvolution {}

/// The mesh-free convolution of docs/method.md section 4 (`MeshFreeConv`) with weights
/// `[C_out, C_in, 6]`, bias `[C_out]` and a width σ in units of the unit square, learnable as
/// `log σ` (`[1]`) or fixed. With stride 2 the output is injected to every second pixel
/// (the pixels a 3×3, stride-2, padding-1 convolution centres on), so the layer can stand in
/// for the UNet's downsampling convolutions.
public final class MeshFreeConvLayer: SpatialConvolution {
    public let weight: Parameter
    public let bias: Parameter?
    /// `log σ` when σ is learnable.
    public let logSigma: Parameter?
    public let inputChannels, outputChannels, stride: Int
    public let computesInputGradient: Bool
    private let fixedSigma: Float

    /// Registers `path.weight` (`[C_out, C_in, 6]`, uniform on ±1/sqrt(6·C_in), or zero when
    /// `zeroInitialized`), `path.bias` and, when `learnsSigma`, `path.log_sigma` = log `sigma`.
    public init(store: ParameterStore, path: String, inputChannels: Int, outputChannels: Int, sigma: Float,
                learnsSigma: Bool, stride: Int = 1, bias: Bool = true, zeroInitialized: Bool = false,
                computesInputGradient: Bool = true) {
        precondition(stride == 1 || stride == 2, "MeshFreeConvLayer(\(path)): stride \(stride), expected 1 or 2")
        let initializer: Initializer = zeroInitialized ? .zeros : .fanIn(MeshFreeConv.basisSize * inputChannels)
        weight = store.register(path + ".weight", shape: [outputChannels, inputChannels, MeshFreeConv.basisSize],
                                initializer: initializer)
        self.bias = bias ? store.register(path + ".bias", shape: [outputChannels], initializer: initializer) : nil
        logSigma = learnsSigma ? store.register(path + ".log_sigma", shape: [1], initializer: .constant(log(sigma))) : nil
        fixedSigma = sigma
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.stride = stride
        self.computesInputGradient = computesInputGradient
    }

    /// The current width σ (units of the unit square).
    public var sigma: Float { logSigma.map { exp($0.value[0]) } ?? fixedSigma }

    public func forward(_ input: Tensor, strips: StripLayout?) -> (output: Tensor, pullback: (Tensor) -> Tensor) {
        precondition(input.channels == inputChannels,
                     "MeshFreeConvLayer(\(weight.slot.path)): input \(input.shape) has \(input.channels) channels, expected \(inputChannels)")
        if let strips { return forward(strip: input, strips) }
        let sigma = self.sigma
        let (full, basis) = MeshFreeConv.forward(input, weight: weight.value, bias: bias?.value, outputChannels: outputChannels,
                                                 sigma: sigma)
        let output = stride == 2 ? Resample.restrictInject(full) : full
        return (output, { [self] outputGradient in
            let fullGradient = stride == 2 ? Resample.restrictInjectBackward(outputGradient) : outputGradient
            return MeshFreeConv.backward(outputGradient: fullGradient, input: input, basis: basis, weight: weight.value,
                                         sigma: sigma, weightGradient: weight.gradient, biasGradient: bias?.gradient,
                                         logSigmaGradient: logSigma?.gradient.baseAddress,
                                         computeInputGradient: computesInputGradient) ?? Tensor(shape: [0])
        })
    }
}

extension MeshFreeConvLayer {
    /// `forward` on this rank's strip: the filters reach `r = ⌈6σ·H⌉` rows (σ against the whole
    /// image's height H), so the strip borrows r rows above and below (from as many strips as
    /// they reach), the layer runs on that window, and the strip keeps its own rows; the backward
    /// pass folds the window's input gradient back onto the rows' owners. With stride 2 the
    /// strip's even rows are the image's.
    fileprivate func forward(strip input: Tensor, _ strips: StripLayout) -> (output: Tensor, pullback: (Tensor) -> Tensor) {
        let (sigma, height) = (self.sigma, strips.rows.height)
        let radius = GaussianDerivativeTaps(pixels: Double(sigma) * Double(height)).radius
        let halo = RowHalo(partition: strips.rows, above: Array(repeating: radius, count: strips.rows.parts),
                           below: Array(repeating: radius, count: strips.rows.parts))
        let window = halo.extend(input, group: strips.group)
        let (full, basis) = MeshFreeConv.forward(window, weight: weight.value, bias: bias?.value, outputChannels: outputChannels,
                                                 sigma: sigma, imageHeight: height)
        let own = full.rows(radius..<(radius + input.height))
        return (stride == 2 ? Resample.restrictInject(own) : own, { [self] outputGradient in
            let ownGradient = stride == 2 ? Resample.restrictInjectBackward(outputGradient) : outputGradient
            let windowGradient = MeshFreeConv.backward(outputGradient: ownGradient.embedded(inHeight: window.height, at: radius),
                                                       input: window, basis: basis, weight: weight.value, sigma: sigma,
                                                       imageHeight: height, weightGradient: weight.gradient,
                                                       biasGradient: bias?.gradient, logSigmaGradient: logSigma?.gradient.baseAddress,
                                                       computeInputGradient: computesInputGradient)
            return windowGradient.map { halo.foldBack($0, group: strips.group) } ?? Tensor(shape: [0])
        })
    }
}

/// Which layer the networks use for their spatial (K > 1) convolutions.
public enum ConvolutionKind: String, CaseIterable, Sendable, Codable {
    /// `K × K` convolutions on the pixel grid.
    case standard
    /// Mesh-free convolutions (`MeshFreeConvLayer`) of width `ModelConfiguration.mfcSigma`.
    case mfc
}

extension ModelConfiguration {
    /// A spatial convolution of `kernelSize` (> 1) as the configuration asks: a `Conv2dLayer`
    /// with padding `K/2`, or a `MeshFreeConvLayer` (whose width is σ, not `K`).
    func spatialConvolution(store: ParameterStore, path: String, inputChannels: Int, outputChannels: Int, kernelSize: Int,
                            stride: Int = 1, zeroInitialized: Bool = false,
                            computesInputGradient: Bool = true) -> any SpatialConvolution {
        switch convolution {
        case .standard:
            return Conv2dLayer(store: store, path: path, inputChannels: inputChannels, outputChannels: outputChannels,
                               kernelSize: kernelSize, stride: stride, zeroInitialized: zeroInitialized,
                               computesInputGradient: computesInputGradient)
        case .mfc:
            return MeshFreeConvLayer(store: store, path: path, inputChannels: inputChannels, outputChannels: outputChannels,
                                     sigma: mfcSigma, learnsSigma: mfcLearnsSigma, stride: stride,
                                     zeroInitialized: zeroInitialized, computesInputGradient: computesInputGradient)
        }
    }
}
