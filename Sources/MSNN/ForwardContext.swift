import MSSpatial
import MSTensor

/// What a forward pass needs to know besides its input.
public struct ForwardContext: Sendable {
    /// Dropout is active only in training.
    public var training: Bool
    /// Seed of the run; dropout masks are drawn from `(seed, sampleIDs[b], layer tag)`.
    public var seed: UInt64
    /// One identifier per batch element that names the sample globally (for example a
    /// stream id derived from step, level and sample index), so that random draws inside the
    /// network do not depend on where a sample sits in a batch or on which process runs it.
    public var sampleIDs: [UInt64]
    /// Set when the input is one rank's strip of images split over a spatial group: the
    /// layout of the map the call receives (nil: whole images).
    public var strips: StripLayout?
    /// Whether the caller will run the pullback. False for inference: the networks then keep
    /// no layer's saved inputs beyond the layer after it, so a pass holds a few maps instead of
    /// all of them, and the pullback they return must not be called.
    public var keepsPullback = true

    public init(training: Bool, seed: UInt64 = 0, sampleIDs: [UInt64], strips: StripLayout? = nil) {
        self.training = training
        self.seed = seed
        self.sampleIDs = sampleIDs
        self.strips = strips
    }

    /// The context of a map `factor` times smaller on each side than this one's.
    public func downsampled(by factor: Int) -> ForwardContext {
        var context = self
        context.strips = strips?.downsampled(by: factor)
        return context
    }

    /// Evaluation context for a batch of `count` samples (no dropout).
    public static func evaluation(count: Int) -> ForwardContext {
        ForwardContext(training: false, sampleIDs: (0..<count).map(UInt64.init))
    }

    /// Inference context for a batch of `count` samples: evaluation without a pullback.
    public static func inference(count: Int) -> ForwardContext {
        var context = evaluation(count: count)
        context.keepsPullback = false
        return context
    }

    /// The pullback a network returns from an inference pass.
    static func noPullback(_: Tensor) { preconditionFailure("the pullback of an inference pass (keepsPullback false) was called") }
}

/// A stable 64-bit tag for a parameter path or layer name: the FNV-1a hash of its UTF-8 bytes.
func stableTag(_ name: String) -> UInt64 {
    var hash = FNV1a()
    hash.combine(bytes: name.utf8)
    return hash.value
}
