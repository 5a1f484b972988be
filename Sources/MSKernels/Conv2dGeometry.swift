/// One 2-D convolution call. Along each axis: out = (in + 2·padding − kernel) / stride + 1.
///
/// Square kernels, equal stride and zero padding on both axes. Activations are
/// `[N, C, H, W]`; weights `[C_out, C_in, K, K]` (PyTorch's layout).
public struct Conv2dGeometry: Hashable, Sendable {
    public var batch, inputChannels, outputChannels, inputHeight, inputWidth: Int
    public var kernelSize, stride, padding: Int

    /// Every extent must be positive, `padding >= 0`, and the padded input must hold one kernel.
    public init(batch: Int, inputChannels: Int, outputChannels: Int, inputHeight: Int, inputWidth: Int,
                kernelSize: Int, stride: Int = 1, padding: Int = 0) {
        precondition(batch > 0 && inputChannels > 0 && outputChannels > 0 && inputHeight > 0 && inputWidth > 0
                     && kernelSize > 0 && stride > 0 && padding >= 0,
                     "Conv2dGeometry: invalid N=\(batch) C_in=\(inputChannels) C_out=\(outputChannels) "
                     + "H=\(inputHeight) W=\(inputWidth) K=\(kernelSize) stride=\(stride) padding=\(padding)")
        precondition(inputHeight + 2 * padding >= kernelSize && inputWidth + 2 * padding >= kernelSize,
                     "Conv2dGeometry: kernel \(kernelSize) larger than padded input "
                     + "\(inputHeight + 2 * padding)×\(inputWidth + 2 * padding)")
        self.batch = batch
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
    }

    /// Geometry from an input shape `[N, C_in, H, W]`.
    public init(inputShape: [Int], outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0) {
        precondition(inputShape.count == 4, "Conv2dGeometry: input shape \(inputShape) is not [N, C_in, H, W]")
        self.init(batch: inputShape[0], inputChannels: inputShape[1], outputChannels: outputChannels,
                  inputHeight: inputShape[2], inputWidth: inputShape[3],
                  kernelSize: kernelSize, stride: stride, padding: padding)
    }

    /// `H_out = (H + 2·padding − K) / stride + 1`.
    public var outputHeight: Int { (inputHeight + 2 * padding - kernelSize) / stride + 1 }
    /// `W_out = (W + 2·padding − K) / stride + 1`.
    public var outputWidth: Int { (inputWidth + 2 * padding - kernelSize) / stride + 1 }
    /// Rows of the im2col matrix: `C_in·K·K`.
    public var patchSize: Int { inputChannels * kernelSize * kernelSize }
    /// A 1×1, stride-1, unpadded convolution is a plain matrix product over pixels.
    public var isPointwise: Bool { kernelSize == 1 && stride == 1 && padding == 0 }

    /// `[N, C_in, H, W]`.
    public var inputShape: [Int] { [batch, inputChannels, inputHeight, inputWidth] }
    /// `[N, C_out, H_out, W_out]`.
    public var outputShape: [Int] { [batch, outputChannels, outputHeight, outputWidth] }
    /// Elements of the weight `[C_out, C_in, K, K]`.
    public var weightCount: Int { outputChannels * patchSize }

    /// Floating-point operations of the forward pass, `2·N·C_out·H_out·W_out·C_in·K²`
    /// (each multiply-add counts two). The input- and weight-gradient products cost the same.
    public var forwardFlops: Double {
        2 * Double(batch) * Double(outputChannels) * Double(outputHeight * outputWidth) * Double(patchSize)
    }
}
