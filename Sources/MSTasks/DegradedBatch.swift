import MSTensor

/// Degraded training/validation examples at the finest mesh, with the draws they were
/// composed from: `input[b]` is `RestorationTask.compose` of `target[b]` with `draws[b]` over
/// the whole image.
public struct DegradedBatch: Equatable, Sendable {
    /// Network input `[N, C, H, W]`.
    public var input: Tensor
    /// Clean image `[N, C, H, W]` the network should produce.
    public var target: Tensor
    /// What each sample's degradation drew `[N]`.
    public var draws: [SampleDraws]

    public init(input: Tensor, target: Tensor, draws: [SampleDraws]) {
        self.input = input
        self.target = target
        self.draws = draws
    }

    /// Noise level `t` per sample `[N]` (0 for super-resolution).
    public var time: [Float] { draws.map(\.time) }
}
