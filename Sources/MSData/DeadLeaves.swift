import Dispatch
import MSTensor

/// The dead-leaves model: random opaque discs stacked until they cover the image, a standard
/// proxy for the scale-invariant statistics of natural images.
///
/// Discs are drawn front to back; each paints only the pixels no earlier disc covered, and
/// drawing stops when every pixel is covered or after `maxDiscs` discs (left-over pixels take
/// one more random colour). A disc has
/// - centre uniform on the image, `(cx, cy) ∈ [0, n)²` (pixel `(x, y)` spans `[x, x+1)`),
/// - radius with density `∝ r⁻³` on `[minRadius, maxRadius]`, drawn by inverting the CDF:
///   `r = (a − u·(a − b))^(−½)` with `a = minRadius⁻²`, `b = maxRadius⁻²`, `u ~ U[0, 1)`,
/// - one uniform colour in [0, 1] per channel (grey when there is one channel),
/// and covers pixel `(x, y)` when `(x + ½ − cx)² + (y + ½ − cy)² ≤ r²`, and always covers the
/// pixel that holds its centre (so no disc is invisible). Edges are sharp (no anti-aliasing).
///
/// Sample `i` of a split depends only on `(seed, split, i)`: its draws come from
/// `CounterRandom(seed: seed, indices: StreamSalt.deadLeaves, split.streamIndex, i)`.
public struct DeadLeaves: Sendable, Equatable {
    /// Where the fine-scale content comes from.
    public enum Regime: Sendable, Equatable, CustomStringConvertible {
        /// Discs rasterised at full resolution: sharp edges at the finest scale.
        case native
        /// Discs rasterised at `size/factor` with radii divided by `factor`, then bilinearly
        /// upsampled to `size`: no detail finer than `factor` pixels, like upsampled CIFAR-10.
        case upsampled(factor: Int)

        public var description: String {
            switch self {
            case .native: return "native"
            case .upsampled(let factor): return "upsampled ×\(factor)"
            }
        }
    }

    /// Side of the square output images, in pixels.
    public let size: Int
    /// 1 (grey) or 3 (RGB).
    public let channels: Int
    public let seed: UInt64
    /// Radius range in pixels of the output image.
    public let minRadius, maxRadius: Float
    public let regime: Regime
    /// Cap on discs per image.
    public let maxDiscs: Int

    /// Checks the options.
    /// - Parameter maxRadius: default `size / 2`.
    /// - Throws: `DataError.invalidOption` naming the bad option.
    public init(size: Int, channels: Int = 3, seed: UInt64 = 0, minRadius: Float = 1, maxRadius: Float? = nil,
                regime: Regime = .native, maxDiscs: Int = 100_000) throws {
        let maxRadius = maxRadius ?? Float(size) / 2
        guard size >= 1 else { throw DataError.invalidOption("image size must be at least 1 pixel, got \(size)") }
        guard channels == 1 || channels == 3 else { throw DataError.invalidOption("channels must be 1 or 3, got \(channels)") }
        guard minRadius > 0, minRadius.isFinite else { throw DataError.invalidOption("minimum radius must be positive, got \(minRadius)") }
        guard maxRadius >= minRadius, maxRadius.isFinite else {
            throw DataError.invalidOption("maximum radius \(maxRadius) must be at least the minimum radius \(minRadius)")
        }
        guard maxDiscs >= 1 else { throw DataError.invalidOption("the disc cap must be at least 1, got \(maxDiscs)") }
        if case .upsampled(let factor) = regime {
            guard factor >= 2, size % factor == 0 else {
                throw DataError.invalidOption("upsampling factor must be at least 2 and divide the image size \(size), got \(factor)")
            }
        }
        (self.size, self.channels, self.seed) = (size, channels, seed)
        (self.minRadius, self.maxRadius, self.regime, self.maxDiscs) = (minRadius, maxRadius, regime, maxDiscs)
    }

    /// The generator and its options, for the dataset's `provenance` attribute.
    public var provenance: String {
        "dead-leaves generator: size \(size), channels \(channels), radius \(minRadius)...\(maxRadius) px with density ∝ r^-3, "
            + "regime \(regime), at most \(maxDiscs) discs, seed \(seed)"
    }

    /// Sample `index` of `split`: `[C, size, size]` values in [0, 1].
    public func image(split: Split, index: Int) -> [Float] {
        var rng = CounterRandom(seed: seed, indices: StreamSalt.deadLeaves, split.streamIndex, UInt64(index))
        switch regime {
        case .native:
            return rasterise(side: size, scale: 1, rng: &rng)
        case .upsampled(let factor):
            let side = size / factor
            let coarse = rasterise(side: side, scale: 1 / Float(factor), rng: &rng)
            return ImageResize.bilinear(coarse, channels: channels, height: side, width: side, toHeight: size, toWidth: size)
        }
    }

    /// Samples `indices` of `split` as `[indices.count, C, size, size]` in [0, 1], made in parallel.
    public func images(split: Split, indices: Range<Int>) -> [Float] {
        let sampleSize = channels * size * size
        var out = [Float](repeating: 0, count: indices.count * sampleSize)
        out.withUnsafeMutableBufferPointer { buffer in
            // Each iteration writes its own slice of the buffer, so sharing the pointer is safe.
            nonisolated(unsafe) let base = buffer.baseAddress!
            DispatchQueue.concurrentPerform(iterations: indices.count) { k in
                let sample = image(split: split, index: indices.lowerBound + k)
                sample.withUnsafeBufferPointer { (base + k * sampleSize).update(from: $0.baseAddress!, count: sampleSize) }
            }
        }
        return out
    }

    /// Draws discs onto a `side × side` image; radii are `scale` times the output-pixel radii.
    /// Every disc consumes `3 + C` uniforms: cx, cy, u (radius), colour.
    private func rasterise(side: Int, scale: Float, rng: inout CounterRandom) -> [Float] {
        let pixels = side * side
        var image = [Float](repeating: 0, count: channels * pixels)
        var covered = [Bool](repeating: false, count: pixels)
        var uncovered = pixels
        let a = 1 / (minRadius * scale * minRadius * scale)
        let b = 1 / (maxRadius * scale * maxRadius * scale)
        var colour = SIMD4<Float>.zero
        var discs = 0
        image.withUnsafeMutableBufferPointer { image in
            covered.withUnsafeMutableBufferPointer { covered in
                while uncovered > 0 && discs < maxDiscs {
                    discs += 1
                    let cx = rng.uniform() * Float(side), cy = rng.uniform() * Float(side)
                    let r = 1 / (a - rng.uniform() * (a - b)).squareRoot()
                    for c in 0..<channels { colour[c] = rng.uniform() }
                    let centreX = min(Int(cx), side - 1), centreY = min(Int(cy), side - 1)
                    let y0 = max(0, Int((cy - r).rounded(.down))), y1 = min(side - 1, Int(cy + r))
                    let x0 = max(0, Int((cx - r).rounded(.down))), x1 = min(side - 1, Int(cx + r))
                    let r2 = r * r
                    for y in y0...y1 {
                        let dy = Float(y) + 0.5 - cy
                        for x in x0...x1 where !covered[y * side + x] {
                            let dx = Float(x) + 0.5 - cx
                            guard dx * dx + dy * dy <= r2 || (x == centreX && y == centreY) else { continue }
                            covered[y * side + x] = true
                            uncovered -= 1
                            for c in 0..<channels { image[c * pixels + y * side + x] = colour[c] }
                        }
                    }
                }
                if uncovered > 0 {
                    for c in 0..<channels { colour[c] = rng.uniform() }
                    for p in 0..<pixels where !covered[p] {
                        for c in 0..<channels { image[c * pixels + p] = colour[c] }
                    }
                }
            }
        }
        return image
    }
}
