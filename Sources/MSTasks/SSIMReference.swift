import Foundation
import MSTensor

/// Direct-loop SSIM in Float64: slow, obviously correct, the oracle for `ImageMetrics.ssim`.
///
/// For every valid window position it builds the 11×11 weights
/// `G[i, j] ∝ exp(−((i − 5)² + (j − 5)²) / (2·1.5²))` (normalised in 2-D), then the weighted
/// mean, variances and covariance by their two-pass definitions
/// `σ_xy = Σ G (x − μ_x)(y − μ_y)`, and the SSIM formula of Wang et al. (2004); the map is
/// averaged over positions and channels, per sample.
public enum SSIMReference {
    /// `[N, C, H, W]` images in [−1, 1] → per-sample SSIM on [0, 1] `[N]`.
    public static func ssim(_ prediction: Tensor, _ target: Tensor) -> [Double] {
        let k = ImageMetrics.ssimWindowSize, half = k / 2, s = ImageMetrics.ssimWindowSigma
        var window = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for i in 0..<k { for j in 0..<k {
            let d2 = Double((i - half) * (i - half) + (j - half) * (j - half))
            window[i][j] = exp(-d2 / (2 * s * s))
        } }
        let total = window.joined().reduce(0, +)
        window = window.map { $0.map { $0 / total } }
        func unit(_ v: Float) -> Double { min(max((Double(v) + 1) / 2, 0), 1) }

        let (channels, h, w) = (prediction.channels, prediction.height, prediction.width)
        return (0..<prediction.batch).map { n in
            var sum = 0.0, positions = 0
            for c in 0..<channels {
                for y in 0...(h - k) { for x in 0...(w - k) {
                    var meanX = 0.0, meanY = 0.0
                    for i in 0..<k { for j in 0..<k {
                        meanX += window[i][j] * unit(prediction[n, c, y + i, x + j])
                        meanY += window[i][j] * unit(target[n, c, y + i, x + j])
                    } }
                    var varianceX = 0.0, varianceY = 0.0, covariance = 0.0
                    for i in 0..<k { for j in 0..<k {
                        let dx = unit(prediction[n, c, y + i, x + j]) - meanX
                        let dy = unit(target[n, c, y + i, x + j]) - meanY
                        varianceX += window[i][j] * dx * dx
                        varianceY += window[i][j] * dy * dy
                        covariance += window[i][j] * dx * dy
                    } }
                    let (c1, c2) = (ImageMetrics.ssimC1, ImageMetrics.ssimC2)
                    sum += ((2 * meanX * meanY + c1) * (2 * covariance + c2))
                        / ((meanX * meanX + meanY * meanY + c1) * (varianceX + varianceY + c2))
                    positions += 1
                } }
            }
            return sum / Double(positions)
        }
    }
}
