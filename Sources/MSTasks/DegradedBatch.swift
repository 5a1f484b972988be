import MSTensor

/// Degraded training/validation examples at the finest mesh.
public struct DegradedBatch: Equatable, Sendable {
    /// Network input `[N, C, H, W]`.
    public var input: Tensor
    /// Clean image `[N, C, H, W]` the network should produce.
    public var target: Tensor
    /// Noise level `t` per sample `[N]` (0 for super-resolution).
    public var time: [Float]

    public init(input: Tensor, target: Tensor, time: [Float]) {
        self.input = input
        self.target = target
        self.time = time
    }
}
