import MSTensor

/// The networks of the method (docs/method.md section 6).
public enum NetworkKind: String, CaseIterable, Sendable, Codable {
    case unet, resnet, espcn

    /// Parses a user-given name, with an error that lists the choices.
    public init(parsing name: String) throws {
        guard let kind = NetworkKind(rawValue: name.lowercased()) else {
            throw ModelError.unknownNetwork(name)
        }
        self = kind
    }
}

/// Everything that fixes a network's architecture (and so its parameter layout).
public struct ModelConfiguration: Hashable, Sendable, Codable {
    public var network: NetworkKind
    /// Image channels in and out (1 or 3).
    public var imageChannels: Int
    /// UNet base width (multiplied by `widthMultipliers`); ResNet width.
    public var baseWidth: Int
    /// UNet width multipliers per resolution, finest first.
    public var widthMultipliers: [Int]
    /// GroupNorm groups in the UNet (must divide every width).
    public var groups: Int
    /// Dropout probability inside the UNet's residual blocks.
    public var dropout: Float
    /// Whether the UNet's middle block holds a self-attention layer.
    public var attention: Bool
    /// The layer of every spatial (K > 1) convolution.
    public var convolution: ConvolutionKind
    /// Initial (or fixed) width σ of the mesh-free convolutions, in units of the unit square.
    /// The default 1/32 spans 2 pixels on the default 64×64 training images.
    public var mfcSigma: Float
    /// Whether each mesh-free convolution learns its σ (as log σ) or keeps `mfcSigma`.
    public var mfcLearnsSigma: Bool

    public static let defaultMFCSigma: Float = 1.0 / 32

    public init(network: NetworkKind, imageChannels: Int = 3, baseWidth: Int? = nil, widthMultipliers: [Int] = [1, 2, 4],
                groups: Int = 8, dropout: Float = 0, attention: Bool = false, convolution: ConvolutionKind = .standard,
                mfcSigma: Float = defaultMFCSigma, mfcLearnsSigma: Bool = true) {
        self.network = network
        self.imageChannels = imageChannels
        self.baseWidth = baseWidth ?? (network == .resnet ? 128 : 32)
        self.widthMultipliers = widthMultipliers
        self.groups = groups
        self.dropout = dropout
        self.attention = attention
        self.convolution = convolution
        self.mfcSigma = mfcSigma
        self.mfcLearnsSigma = mfcLearnsSigma
    }

    /// Checks the options a user can get wrong, with messages that say what to change.
    public func validate() throws {
        guard imageChannels == 1 || imageChannels == 3 else {
            throw ModelError.invalidOption("image channels must be 1 or 3, got \(imageChannels)")
        }
        guard baseWidth > 0 else { throw ModelError.invalidOption("--width must be positive, got \(baseWidth)") }
        guard (0..<1).contains(dropout) else { throw ModelError.invalidOption("--dropout must be in [0, 1), got \(dropout)") }
        guard mfcSigma > 0, mfcSigma < 1 else {
            throw ModelError.invalidOption("--mfc-sigma must be in (0, 1) (units of the image side), got \(mfcSigma)")
        }
        if network == .unet {
            guard !widthMultipliers.isEmpty, widthMultipliers.allSatisfy({ $0 > 0 }) else {
                throw ModelError.invalidOption("UNet width multipliers must be positive, got \(widthMultipliers)")
            }
            for multiplier in widthMultipliers where (baseWidth * multiplier) % groups != 0 {
                throw ModelError.invalidOption(
                    "--groups \(groups) does not divide the UNet width \(baseWidth * multiplier); choose groups that divide every width")
            }
        }
    }
}

/// A fully convolutional network with all its parameters in one store.
public protocol Model: AnyObject {
    var configuration: ModelConfiguration { get }
    var parameters: ParameterStore { get }
    /// Product of the network's strides: input height and width must be multiples of it.
    var totalStride: Int { get }

    /// `[N, C, H, W] → [N, C, H, W]` for times `t` (`[N]`, ignored by unconditioned networks).
    /// The pullback takes `dL/doutput` and accumulates every parameter gradient into
    /// `parameters.gradients`.
    func forward(_ input: Tensor, time: [Float], context: ForwardContext) throws
        -> (output: Tensor, pullback: (Tensor) -> Void)
}

extension Model {
    /// Throws unless `shape` is `[N, C, H, W]` with this model's channels and H, W multiples of
    /// `totalStride`.
    public func checkInput(_ shape: [Int], time: [Float], conditioned: Bool, context: ForwardContext) throws {
        guard shape.count == 4, shape[1] == configuration.imageChannels else {
            throw ModelError.inputShape(expected: "[N, \(configuration.imageChannels), H, W]", found: shape)
        }
        let height = context.strips?.rows.height ?? shape[2]
        guard height % totalStride == 0, shape[3] % totalStride == 0, height > 0, shape[3] > 0 else {
            throw ModelError.resolution(network: configuration.network, height: height, width: shape[3], stride: totalStride)
        }
        if let strips = context.strips {
            precondition(shape[2] == strips.ownRows.count, "a strip of \(shape[2]) rows, the layout gives this rank \(strips.ownRows.count)")
            precondition(strips.rows.bounds.allSatisfy { $0 % totalStride == 0 },
                         "strips \(strips.rows.bounds) must start on multiples of the network's total stride \(totalStride)")
        }
        if conditioned && time.count != shape[0] {
            throw ModelError.inputShape(expected: "one time per sample (\(shape[0]))", found: [time.count])
        }
    }
}

/// Builds the network described by `configuration`, with parameters drawn from `seed`.
public func makeModel(_ configuration: ModelConfiguration, seed: UInt64) throws -> Model {
    try configuration.validate()
    switch configuration.network {
    case .unet: return UNet(configuration, seed: seed)
    case .resnet: return ResNet(configuration, seed: seed)
    case .espcn: return ESPCN(configuration, seed: seed)
    }
}

/// Errors a user can cause when choosing or feeding a model.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case unknownNetwork(String)
    case invalidOption(String)
    case inputShape(expected: String, found: [Int])
    case resolution(network: NetworkKind, height: Int, width: Int, stride: Int)

    public var description: String {
        switch self {
        case .unknownNetwork(let name):
            return "unknown network '\(name)': choose one of \(NetworkKind.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalidOption(let message):
            return message
        case .inputShape(let expected, let found):
            return "model input has shape \(found), expected \(expected)"
        case .resolution(let network, let height, let width, let stride):
            return "the \(network.rawValue) cannot take \(height)×\(width) images: height and width must be multiples of "
                + "\(stride) (its total stride); resize or crop the data, or use fewer levels"
        }
    }
}
