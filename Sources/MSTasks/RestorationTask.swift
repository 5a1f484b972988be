import MSKernels
import MSTensor

/// A restoration task: turns clean images into (input, target, time) examples at the finest
/// mesh (docs/method.md section 6). Images are `[N, C, H, W]` in [−1, 1].
///
/// Reproducibility: sample `b`'s random draws (noise level `t`, box positions, noise `z`) come
/// only from `CounterRandom(seed: seed, stream: streams[b])`, in that order, never from `b`
/// itself; so the same `(seed, stream)` gives bitwise the same degraded sample in any batch,
/// at any position, on any process (docs/method.md sections 2 and 8). Coarse levels restrict the
/// degraded fine input; they are never re-degraded.
public struct RestorationTask: Sendable {
    public let kind: TaskKind
    public let options: TaskOptions

    public init(kind: TaskKind, options: TaskOptions = .init()) {
        self.kind = kind
        self.options = options
    }

    /// Degrades `clean` `[N, C, H, W]`; `streams` holds one RNG stream per sample `[N]`.
    ///
    /// - denoise: `input = t·x + (1−t)·z`, `t ~ U(0, 1)`, `z ~ N(0, I)`.
    /// - deblur: `input = (1−t)·(k_σ * x) + t·z`, `t ~ deblurNoiseLevel·U(0, 1)`,
    ///   `σ = options.blurSigma(height: H)`.
    /// - inpaint: `input = mask·x + t·z`, `mask` 0 inside `inpaintBoxes` random boxes,
    ///   `t ~ inpaintNoiseLevel·U(0, 1)`.
    /// - superres: `input = upsampleBilinear(restrictAverage(x))`, `t = 0`; needs even H and W.
    ///
    /// The target is always `x`.
    public func degrade(_ clean: Tensor, seed: UInt64, streams: [UInt64]) -> DegradedBatch {
        precondition(clean.rank == 4, "Task.degrade: expected [N, C, H, W], got \(clean.shape)")
        precondition(streams.count == clean.batch,
                     "Task.degrade: \(streams.count) streams for a batch of \(clean.batch)")
        var random = streams.map { CounterRandom(seed: seed, stream: $0) }
        switch kind {
        case .denoise:
            let time = drawTimes(noiseLevel: 1, using: &random)
            let input = mixWithNoise(signal: clean, time: time, using: &random) { t in (t, 1 - t) }
            return DegradedBatch(input: input, target: clean, time: time)
        case .deblur:
            let time = drawTimes(noiseLevel: options.deblurNoiseLevel, using: &random)
            let blurred = PeriodicGaussianBlur(sigma: options.blurSigma(height: clean.height)).apply(clean)
            let input = mixWithNoise(signal: blurred, time: time, using: &random) { t in (1 - t, t) }
            return DegradedBatch(input: input, target: clean, time: time)
        case .inpaint:
            let time = drawTimes(noiseLevel: options.inpaintNoiseLevel, using: &random)
            let masked = zeroRandomBoxes(in: clean, using: &random)
            let input = mixWithNoise(signal: masked, time: time, using: &random) { t in (1, t) }
            return DegradedBatch(input: input, target: clean, time: time)
        case .superres:
            precondition(clean.height % 2 == 0 && clean.width % 2 == 0,
                         "Task.degrade: superres needs even H and W, got \(clean.shape)")
            let input = Resample.upsampleBilinear(Resample.restrictAverage(clean))
            return DegradedBatch(input: input, target: clean, time: [Float](repeating: 0, count: clean.batch))
        }
    }

    /// First draw of every sample: `t_b = noiseLevel·U(0, 1)`.
    private func drawTimes(noiseLevel: Float, using random: inout [CounterRandom]) -> [Float] {
        random.indices.map { noiseLevel * random[$0].uniform() }
    }

    /// `image` with `options.inpaintBoxes` boxes of sample `b` zeroed, drawn from `random[b]`.
    private func zeroRandomBoxes(in image: Tensor, using random: inout [CounterRandom]) -> Tensor {
        var masked = image
        let (channels, h, w) = (image.channels, image.height, image.width)
        masked.withUnsafeMutableBufferPointer { m in
            for b in random.indices {
                for _ in 0..<options.inpaintBoxes {
                    InpaintBox.draw(imageHeight: h, imageWidth: w, options: options, using: &random[b])
                        .zero(in: m.baseAddress! + b * channels * h * w, channels: channels, imageHeight: h, imageWidth: w)
                }
            }
        }
        return masked
    }

    /// `a·signal + c·z` per sample `b`, with `(a, c) = weights(time[b])` and `z ~ N(0, I)` drawn
    /// from `random[b]`.
    private func mixWithNoise(signal: Tensor, time: [Float], using random: inout [CounterRandom],
                              weights: (Float) -> (signal: Float, noise: Float)) -> Tensor {
        var input = Tensor(shape: signal.shape)
        let perSample = signal.count / max(signal.batch, 1)
        signal.withUnsafeBufferPointer { s in
            input.withUnsafeMutableBufferPointer { out in
                for b in random.indices {
                    let clean = s.baseAddress! + b * perSample
                    let noisy = UnsafeMutableBufferPointer(rebasing: out[(b * perSample)..<((b + 1) * perSample)])
                    random[b].fillNormal(noisy)
                    let (a, c) = weights(time[b])
                    for i in 0..<perSample { noisy[i] = a * clean[i] + c * noisy[i] }
                }
            }
        }
        return input
    }
}
