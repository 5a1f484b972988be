import MSKernels
import MSTensor

/// A Float64 activation of the reference networks: flat row-major `values` of `shape`
/// (`[N, C, H, W]` for images, `[N, F]` for feature vectors).
public struct ReferenceActivation {
    public var values: [Double]
    public var shape: [Int]

    public init(_ values: [Double], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "ReferenceActivation: \(values.count) values for shape \(shape)")
        self.values = values
        self.shape = shape
    }

    /// The Float32 tensor's values, converted exactly.
    public init(_ tensor: Tensor) {
        self.init(tensor.scalars.map(Double.init), shape: tensor.shape)
    }

    public var channels: Int { shape[1] }

    /// `y_i = f(x_i)` (`ActivationReference`).
    public func activated(_ activation: Activation) -> ReferenceActivation {
        ReferenceActivation(ActivationReference.forward(values, activation: activation), shape: shape)
    }

    /// `s · x_i`.
    public func scaled(by s: Double) -> ReferenceActivation {
        ReferenceActivation(values.map { s * $0 }, shape: shape)
    }

    /// Elementwise sum of two equally shaped activations.
    public static func + (a: ReferenceActivation, b: ReferenceActivation) -> ReferenceActivation {
        precondition(a.shape == b.shape, "ReferenceActivation +: shapes \(a.shape) and \(b.shape) differ")
        return ReferenceActivation(zip(a.values, b.values).map(+), shape: a.shape)
    }

    /// `[N, C, H, W] + v[:, :, None, None]` for `v` `[N, C]` (`ChannelsReference.addPerChannel`).
    public func addingPerChannel(_ v: [Double]) -> ReferenceActivation {
        ReferenceActivation(ChannelsReference.addPerChannel(values, shape: shape, v), shape: shape)
    }

    /// `[N, Ca, H, W] ++ [N, Cb, H, W] → [N, Ca + Cb, H, W]` (`ChannelsReference.concatenate`).
    public func concatenated(with other: ReferenceActivation) -> ReferenceActivation {
        ReferenceActivation(ChannelsReference.concatenate(values, shapeA: shape, other.values, shapeB: other.shape),
                            shape: [shape[0], shape[1] + other.shape[1], shape[2], shape[3]])
    }

    /// Channels `0 ..< first` and `first ..< C` (`ChannelsReference.split`).
    public func split(firstChannels first: Int) -> (ReferenceActivation, ReferenceActivation) {
        let (a, b) = ChannelsReference.split(values, shape: shape, firstChannels: first)
        return (ReferenceActivation(a, shape: [shape[0], first, shape[2], shape[3]]),
                ReferenceActivation(b, shape: [shape[0], shape[1] - first, shape[2], shape[3]]))
    }
}
