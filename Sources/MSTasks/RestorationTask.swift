import MSKernels
import MSTensor

/// A restoration task: turns clean images into (input, target, time) examples at the finest
/// mesh (docs/method.md section 6). Images are `[N, C, H, W]` in [−1, 1].
///
/// Degrading is two steps. `draws` makes everything random about a sample (noise level `t`,
/// inpainting boxes, noise field `z`), a pure function of `(seed, stream)` and the image size,
/// never of the sample's batch position; so the same `(seed, stream)` gives bitwise the same
/// degraded sample in any batch, at any position, on any process (docs/method.md sections 2
/// and 8). `compose` builds the degraded image over any region of the whole image from the
/// clean pixels and the draws; a tile gets bitwise the values of the whole-image degradation.
/// Coarse levels restrict the degraded fine input; they are never re-degraded.
public struct RestorationTask: Sendable {
    public let kind: TaskKind
    public let options: TaskOptions

    public init(kind: TaskKind, options: TaskOptions = .init()) {
        self.kind = kind
        self.options = options
    }

    /// Degrades `clean` `[N, C, H, W]`; `streams` holds one RNG stream per sample `[N]`.
    ///
    /// - denoise: `input = t·x + (1−t)·z`, `t ~ U(denoiseMinimumTime, denoiseMaximumTime)`,
    ///   `z ~ N(0, I)`.
    /// - deblur: `input = (1−t)·(k_σ * x) + t·z`, `t ~ deblurNoiseLevel·U(0, 1)`,
    ///   `σ = options.blurSigma(height: H)`.
    /// - inpaint: `input = mask·x + t·z`, `mask` 0 inside `inpaintBoxes` random boxes,
    ///   `t ~ inpaintNoiseLevel·U(0, 1)`.
    /// - superres: `input = P^k(R^k x)`, `t = 0`, `k = log2(superresFactor)`, where `R` is the
    ///   2×2 average (`Resample.restrictAverage`) and `P` the ×2 bilinear interpolation with
    ///   clamped edges (`Resample.upsampleBilinear`); needs H and W divisible by the factor.
    ///
    /// The target is always `x`. A strip of a sample is degraded by
    /// `degrade(draws:rows:readRows:)`, bitwise those rows of this.
    public func degrade(_ clean: Tensor, seed: UInt64, streams: [UInt64]) -> DegradedBatch {
        precondition(clean.rank == 4, "Task.degrade: expected [N, C, H, W], got \(clean.shape)")
        precondition(streams.count == clean.batch,
                     "Task.degrade: \(streams.count) streams for a batch of \(clean.batch)")
        let draws = streams.map {
            self.draws(seed: seed, stream: $0, channels: clean.channels, height: clean.height, width: clean.width)
        }
        return degrade(clean, draws: draws)
    }

    /// Degrades `clean` `[N, C, H, W]` with the given draws `[N]`: `compose` over the whole
    /// image, sample by sample.
    public func degrade(_ clean: Tensor, draws: [SampleDraws]) -> DegradedBatch {
        precondition(draws.count == clean.batch, "Task.degrade: \(draws.count) draws for a batch of \(clean.batch)")
        let samples = draws.indices.map { b in
            let image = clean.batchSlice(b..<(b + 1))
            return degrade(draws: draws[b], rows: 0..<clean.height) {
                ImageRegion(rows: $0, columns: 0..<clean.width).extract(from: image)
            }
        }
        return DegradedBatch(input: Tensor.stackBatch(samples.map(\.input)), target: Tensor.stackBatch(samples.map(\.target)),
                             draws: draws)
    }

    /// Degrades rows `rows` of one sample, whose clean rows come from `readRows`: given a range
    /// of rows (which may leave the image, for a blur halo: row `y` is row `y mod H`), it
    /// returns them, all columns, `[1, C, count, W]`. Returns the degraded input and the clean
    /// target over those rows, `[1, C, rows.count, W]`; bitwise those rows of the whole
    /// image's degradation.
    public func degrade(draws: SampleDraws, rows: Range<Int>,
                        readRows: (Range<Int>) throws -> Tensor) rethrows -> (input: Tensor, target: Tensor) {
        let (height, width) = (draws.noise.height, draws.noise.width)
        let region = ImageRegion(rows: rows, columns: 0..<width)
        let source = sourceRegion(for: region, height: height, width: width)
        let clean = try readRows(source.rows)
        let input = compose(source: ImageRegion(rows: 0..<source.height, columns: source.columns).extract(from: clean),
                            draws: draws, region: region)
        let offset = rows.lowerBound - source.rows.lowerBound
        return (input, ImageRegion(rows: offset..<(offset + rows.count), columns: 0..<width).extract(from: clean))
    }

    /// The draws of one sample of a `channels × height × width` image, from
    /// `CounterRandom(seed: seed, stream: stream)`: `t` first, then (inpainting) the boxes;
    /// the noise field starts at the next word.
    public func draws(seed: UInt64, stream: UInt64, channels: Int, height: Int, width: Int) -> SampleDraws {
        var random = CounterRandom(seed: seed, stream: stream)
        let time: Float
        switch kind {
        case .denoise: time = random.uniform(options.denoiseMinimumTime, options.denoiseMaximumTime)
        case .deblur: time = options.deblurNoiseLevel * random.uniform()
        case .inpaint: time = options.inpaintNoiseLevel * random.uniform()
        case .superres: time = 0
        }
        let boxCount = kind == .inpaint ? options.inpaintBoxes : 0
        let boxes = (0..<boxCount).map { _ in
            InpaintBox.draw(imageHeight: height, imageWidth: width, options: options, using: &random)
        }
        let noise = NoiseField(seed: seed, stream: stream, firstWord: random.wordOffset,
                               channels: channels, height: height, width: width)
        return SampleDraws(time: time, boxes: boxes, noise: noise)
    }

    /// The clean pixels `compose` needs for `region` (inside a `height × width` image), read
    /// periodically where they leave the image (`ImageRegion.extract(from:)`):
    /// - denoise, inpaint: `region` itself;
    /// - deblur: `region` grown by the blur radius `⌈4σ⌉` on every side (a periodic halo);
    /// - superres: `region` grown by `3·superresFactor` on every side, widened to multiples of
    ///   the factor and clipped to the image (enough that the edge clamping of the
    ///   interpolation only acts at the image border).
    public func sourceRegion(for region: ImageRegion, height: Int, width: Int) -> ImageRegion {
        precondition(region.isInside(height: height, width: width) && region.height > 0 && region.width > 0,
                     "Task.sourceRegion: region \(region) is empty or outside the \(height)×\(width) image")
        switch kind {
        case .denoise, .inpaint:
            return region
        case .deblur:
            return region.expanded(by: blur(height: height).radius)
        case .superres:
            let factor = superresFactor(height: height, width: width)
            func grown(_ range: Range<Int>, _ extent: Int) -> Range<Int> {
                let lower = max(range.lowerBound - 3 * factor, 0) / factor * factor
                let upper = min((range.upperBound + 3 * factor + factor - 1) / factor * factor, extent)
                return lower..<upper
            }
            return ImageRegion(rows: grown(region.rows, height), columns: grown(region.columns, width))
        }
    }

    /// The degraded input over `region` of the whole image, `[1, C, region.height, region.width]`,
    /// from `image`, the whole clean sample `[1, C, H, W]`.
    public func compose(image: Tensor, draws: SampleDraws, region: ImageRegion) -> Tensor {
        let source = sourceRegion(for: region, height: image.height, width: image.width)
        return compose(source: source.extract(from: image), draws: draws, region: region)
    }

    /// The degraded input over `region` of the whole image, `[1, C, region.height, region.width]`,
    /// from `source`, the clean pixels over `sourceRegion(for: region, …)`
    /// `[1, C, source height, source width]` (for a tile: the tile with its halo). The formulas
    /// of `degrade`, with the mask and `z` evaluated at whole-image pixel coordinates; bitwise
    /// the region of the whole-image degradation.
    public func compose(source: Tensor, draws: SampleDraws, region: ImageRegion) -> Tensor {
        let (height, width) = (draws.noise.height, draws.noise.width)
        let sourceRegion = self.sourceRegion(for: region, height: height, width: width)
        precondition(source.batch == 1 && source.channels == draws.noise.channels
                     && source.height == sourceRegion.height && source.width == sourceRegion.width,
                     "Task.compose: source \(source.shape) does not cover \(sourceRegion) of a "
                     + "[\(draws.noise.channels), \(height), \(width)] image")
        let t = draws.time
        switch kind {
        case .denoise:
            return mix(signal: source, noise: draws.noise.values(in: region), signalWeight: t, noiseWeight: 1 - t)
        case .deblur:
            let blurred = blur(height: height).applyValid(source)
            return mix(signal: blurred, noise: draws.noise.values(in: region), signalWeight: 1 - t, noiseWeight: t)
        case .inpaint:
            var masked = source
            masked.withUnsafeMutableBufferPointer { m in
                for box in draws.boxes { box.zero(in: m.baseAddress!, channels: source.channels, region: region) }
            }
            return mix(signal: masked, noise: draws.noise.values(in: region), signalWeight: 1, noiseWeight: t)
        case .superres:
            let levels = superresFactor(height: height, width: width).trailingZeroBitCount
            var image = source
            for _ in 0..<levels { image = Resample.restrictAverage(image) }
            for _ in 0..<levels { image = Resample.upsampleBilinear(image) }
            let offset = region.shifted(rows: -sourceRegion.rows.lowerBound, columns: -sourceRegion.columns.lowerBound)
            return offset.extract(from: image)
        }
    }

    /// The PSF for an image of `height` rows.
    private func blur(height: Int) -> PeriodicGaussianBlur {
        PeriodicGaussianBlur(sigma: options.blurSigma(height: height))
    }

    /// `options.superresFactor`, checked against the image size.
    private func superresFactor(height: Int, width: Int) -> Int {
        let factor = options.superresFactor
        precondition(factor >= 2 && factor & (factor - 1) == 0,
                     "Task: superresFactor must be a power of two >= 2, got \(factor)")
        precondition(height % factor == 0 && width % factor == 0,
                     "Task: superres with factor \(factor) needs H and W divisible by \(factor), got \(height)×\(width)")
        return factor
    }

    /// `a·signal + c·z` elementwise (same shapes).
    private func mix(signal: Tensor, noise: Tensor, signalWeight a: Float, noiseWeight c: Float) -> Tensor {
        var input = noise
        signal.withUnsafeBufferPointer { s in
            input.withUnsafeMutableBufferPointer { z in
                for i in 0..<z.count { z[i] = a * s[i] + c * z[i] }
            }
        }
        return input
    }
}
