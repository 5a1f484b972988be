/// Everything a degradation draws for one sample, a pure function of `(seed, stream)` and the
/// image size (`RestorationTask.draws(seed:stream:channels:height:width:)`); composing the
/// degraded image from them at some region is `RestorationTask.compose`.
///
/// The draws come from `CounterRandom(seed: seed, stream: stream)` in this order: `time`
/// (one word), then for inpainting the boxes (six words each), then the noise field, which
/// starts at the next word. Super-resolution draws nothing: time 0, no boxes, and its noise
/// field is never read.
public struct SampleDraws: Hashable, Sendable {
    /// The noise level `t`.
    public var time: Float
    /// Inpainting's zeroed boxes in whole-image pixel coordinates (empty for other tasks).
    public var boxes: [InpaintBox]
    /// The noise `z` over the whole image.
    public var noise: NoiseField

    public init(time: Float, boxes: [InpaintBox], noise: NoiseField) {
        self.time = time
        self.boxes = boxes
        self.noise = noise
    }
}
