import Foundation
import MSTensor

/// SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) with the paper's settings, as in skimage's
/// `structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
/// data_range=1)` and pytorch-msssim's `ssim(data_range=1)`.
///
/// With `G` the normalised 11×11 Gaussian window (σ = 1.5) and `E_G` the `G`-weighted mean
/// over the window at each valid position (no padding: `(H − 10) × (W − 10)` positions),
///
///     μ_x = E_G[x],  σ_x² = E_G[x²] − μ_x²,  σ_xy = E_G[xy] − μ_x μ_y
///     SSIM = (2 μ_x μ_y + C1)(2 σ_xy + C2) / ((μ_x² + μ_y² + C1)(σ_x² + σ_y² + C2))
///
/// with `C1 = (0.01)²`, `C2 = (0.03)²`; the map is averaged over positions and channels.
extension ImageMetrics {
    /// Side of the SSIM window.
    public static let ssimWindowSize = 11
    /// Std of the SSIM window in pixels.
    public static let ssimWindowSigma = 1.5
    /// Stabilisers `C1 = (K1·L)²`, `C2 = (K2·L)²` for data range `L = 1`.
    public static let ssimC1 = 0.01 * 0.01, ssimC2 = 0.03 * 0.03

    /// Per-sample SSIM → `[N]`; needs `H, W ≥ 11`.
    public static func ssim(_ prediction: Tensor, _ target: Tensor) -> [Double] {
        checkShapes(prediction, target, "ssim")
        let (channels, h, w) = (prediction.channels, prediction.height, prediction.width)
        let k = ssimWindowSize
        precondition(h >= k && w >= k, "ImageMetrics.ssim: needs H, W ≥ \(k), got \(prediction.shape)")
        let plane = h * w
        var filter = SeparableValidFilter(weights: gaussianWindow, height: h, width: w)
        // Moments x, y, x², y², xy of one plane, then their filtered maps.
        var moments = [[Double]](repeating: [Double](repeating: 0, count: plane), count: 5)
        var means = [[Double]](repeating: [Double](repeating: 0, count: filter.outputCount), count: 5)
        return prediction.withUnsafeBufferPointer { p in
            target.withUnsafeBufferPointer { q in
                (0..<prediction.batch).map { n in
                    var total = 0.0
                    for c in 0..<channels {
                        let offset = (n * channels + c) * plane
                        for i in 0..<plane {
                            let x = unitRange(p[offset + i]), y = unitRange(q[offset + i])
                            moments[0][i] = x; moments[1][i] = y
                            moments[2][i] = x * x; moments[3][i] = y * y; moments[4][i] = x * y
                        }
                        for m in 0..<5 { filter.apply(moments[m], into: &means[m]) }
                        for i in 0..<filter.outputCount {
                            total += ssimIndex(meanX: means[0][i], meanY: means[1][i], meanXX: means[2][i],
                                               meanYY: means[3][i], meanXY: means[4][i])
                        }
                    }
                    return total / Double(channels * filter.outputCount)
                }
            }
        }
    }

    /// The normalised 1-D window `g[i] ∝ exp(−(i − 5)² / (2·1.5²))`, `i = 0 … 10`; `G = g gᵀ`.
    static var gaussianWindow: [Double] {
        let half = Double(ssimWindowSize / 2)
        let raw = (0..<ssimWindowSize).map { i in
            exp(-(Double(i) - half) * (Double(i) - half) / (2 * ssimWindowSigma * ssimWindowSigma))
        }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }

    /// SSIM at one window position from the weighted moments `E[x], E[y], E[x²], E[y²], E[xy]`.
    @inline(__always)
    static func ssimIndex(meanX: Double, meanY: Double, meanXX: Double, meanYY: Double, meanXY: Double) -> Double {
        let varianceX = meanXX - meanX * meanX, varianceY = meanYY - meanY * meanY
        let covariance = meanXY - meanX * meanY
        return ((2 * meanX * meanY + ssimC1) * (2 * covariance + ssimC2))
            / ((meanX * meanX + meanY * meanY + ssimC1) * (varianceX + varianceY + ssimC2))
    }
}

/// Correlation of an `[H, W]` plane with `g gᵀ` (`g` of length `K`) at valid positions only:
/// `out[y, x] = Σ_{i, j} g[i] g[j] in[y + i, x + j]`, `out` is `[H − K + 1, W − K + 1]`.
struct SeparableValidFilter {
    let weights: [Double]
    let height, width: Int
    var outputHeight: Int { height - weights.count + 1 }
    var outputWidth: Int { width - weights.count + 1 }
    var outputCount: Int { outputHeight * outputWidth }
    /// Rows filtered along x: `[H, W − K + 1]`.
    private var rows: [Double]

    init(weights: [Double], height: Int, width: Int) {
        self.weights = weights
        self.height = height
        self.width = width
        rows = [Double](repeating: 0, count: height * (width - weights.count + 1))
    }

    /// Overwrites `output` `[H − K + 1, W − K + 1]` with the filtered `input` `[H, W]`.
    mutating func apply(_ input: [Double], into output: inout [Double]) {
        let (k, ow, oh, w) = (weights.count, outputWidth, outputHeight, width)
        input.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { tmp in
                output.withUnsafeMutableBufferPointer { dst in
                    weights.withUnsafeBufferPointer { g in
                        for y in 0..<height {
                            let row = tmp.baseAddress! + y * ow
                            row.update(repeating: 0, count: ow)
                            for j in 0..<k {
                                let weight = g[j], source = src.baseAddress! + y * w + j
                                for x in 0..<ow { row[x] += weight * source[x] }
                            }
                        }
                        for y in 0..<oh {
                            let out = dst.baseAddress! + y * ow
                            out.update(repeating: 0, count: ow)
                            for i in 0..<k {
                                let weight = g[i], source = tmp.baseAddress! + (y + i) * ow
                                for x in 0..<ow { out[x] += weight * source[x] }
                            }
                        }
                    }
                }
            }
        }
    }
}
