import Foundation
import MSTensor

/// Gaussian blur with periodic boundary, applied separably to every `[H, W]` plane.
///
/// The 1-D kernel has radius `r = ⌈4σ⌉` and weights `w[k] ∝ exp(−(k − r)² / (2σ²))`,
/// `k = 0 … 2r`, normalised to sum to 1, so a constant image is left unchanged:
///
///     out[y, x] = Σ_{i, j} w[i] · w[j] · in[(y + i − r) mod H, (x + j − r) mod W]
///
/// Taps wrap as often as needed, so `r` may exceed the image side.
public struct PeriodicGaussianBlur: Sendable {
    /// PSF std in pixels.
    public let sigma: Float
    /// `⌈4σ⌉`.
    public let radius: Int
    /// The normalised 1-D kernel `[2·radius + 1]`.
    public let weights: [Float]

    public init(sigma: Float) {
        precondition(sigma > 0 && sigma.isFinite, "PeriodicGaussianBlur: sigma must be positive, got \(sigma)")
        self.sigma = sigma
        let r = Int((4 * sigma).rounded(.up))
        radius = r
        let raw = (0...(2 * r)).map { k -> Double in
            let d = Double(k - r)
            return exp(-d * d / (2 * Double(sigma) * Double(sigma)))
        }
        let total = raw.reduce(0, +)
        weights = raw.map { Float($0 / total) }
    }

    /// `[N, C, H, W]` → blurred `[N, C, H, W]`: `applyValid` on the image's periodic extension
    /// by `radius` on every side.
    public func apply(_ image: Tensor) -> Tensor {
        applyValid(ImageRegion.whole(height: image.height, width: image.width).expanded(by: radius).extract(from: image))
    }

    /// The blur of a tile from the tile and its halo, no wrapping: `[N, C, h + 2r, w + 2r]` →
    /// `[N, C, h, w]` with `out[y, x] = Σ_{i, j} w[i] · w[j] · in[y + i, x + j]`. Given the
    /// periodic extension of an image region by `r = radius` (`ImageRegion.expanded(by:)`,
    /// `extract(from:)`), this is bitwise the region of `apply` on the whole image: each
    /// output sums the same products in the same order (along x first, then along y).
    public func applyValid(_ padded: Tensor) -> Tensor {
        let r = radius
        let (h, w) = (padded.height - 2 * r, padded.width - 2 * r)
        precondition(h > 0 && w > 0, "PeriodicGaussianBlur: \(padded.shape) is no larger than the halo \(r)")
        let (paddedHeight, paddedWidth) = (padded.height, padded.width)
        let planes = padded.batch * padded.channels
        var out = Tensor(shape: [padded.batch, padded.channels, h, w])
        var rows = [Float](repeating: 0, count: paddedHeight * w)
        padded.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                rows.withUnsafeMutableBufferPointer { tmp in
                    weights.withUnsafeBufferPointer { wk in
                        for plane in 0..<planes {
                            let input = src.baseAddress! + plane * paddedHeight * paddedWidth
                            let output = dst.baseAddress! + plane * h * w
                            // Along x: every padded row, the halo columns consumed.
                            for y in 0..<paddedHeight {
                                let row = input + y * paddedWidth
                                let blurred = tmp.baseAddress! + y * w
                                for x in 0..<w { blurred[x] = 0 }
                                for k in 0...(2 * r) {
                                    let weight = wk[k], shifted = row + k
                                    for x in 0..<w { blurred[x] += weight * shifted[x] }
                                }
                            }
                            // Along y: whole rows at a time, the halo rows consumed.
                            for y in 0..<h {
                                let blurred = output + y * w
                                for k in 0...(2 * r) {
                                    let weight = wk[k], source = tmp.baseAddress! + (y + k) * w
                                    for x in 0..<w { blurred[x] += weight * source[x] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
