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

    /// `[N, C, H, W]` → blurred `[N, C, H, W]`.
    public func apply(_ image: Tensor) -> Tensor {
        let (h, w) = (image.height, image.width)
        let planes = image.batch * image.channels
        var out = Tensor(shape: image.shape)
        let r = radius
        var paddedRow = [Float](repeating: 0, count: w + 2 * r)
        var rows = [Float](repeating: 0, count: h * w)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                paddedRow.withUnsafeMutableBufferPointer { pad in
                    rows.withUnsafeMutableBufferPointer { tmp in
                        weights.withUnsafeBufferPointer { wk in
                            for plane in 0..<planes {
                                let input = src.baseAddress! + plane * h * w
                                let output = dst.baseAddress! + plane * h * w
                                // Along x: pad each row periodically, then correlate.
                                for y in 0..<h {
                                    let row = input + y * w
                                    for j in 0..<(w + 2 * r) { pad[j] = row[periodic(j - r, w)] }
                                    let blurred = tmp.baseAddress! + y * w
                                    for x in 0..<w { blurred[x] = 0 }
                                    for k in 0...(2 * r) {
                                        let weight = wk[k], shifted = pad.baseAddress! + k
                                        for x in 0..<w { blurred[x] += weight * shifted[x] }
                                    }
                                }
                                // Along y: whole rows at a time.
                                for y in 0..<h {
                                    let blurred = output + y * w
                                    for k in 0...(2 * r) {
                                        let weight = wk[k], source = tmp.baseAddress! + periodic(y + k - r, h) * w
                                        for x in 0..<w { blurred[x] += weight * source[x] }
                                    }
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

/// `i mod n` in `0..<n` for any integer `i`.
@inline(__always) private func periodic(_ i: Int, _ n: Int) -> Int {
    let m = i % n
    return m < 0 ? m + n : m
}
