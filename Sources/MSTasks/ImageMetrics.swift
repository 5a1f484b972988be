import Foundation
import MSTensor

/// Image-quality metrics on [0, 1], per sample. Inputs are `[N, C, H, W]` images in [−1, 1],
/// mapped by `u = clamp((v + 1) / 2, 0, 1)` before measuring (docs/method.md section 6).
public enum ImageMetrics {
    /// PSNR reported for an exact match (whose MSE is 0).
    public static let maximumPSNR = 100.0

    /// Per-sample `mean over C, H, W of (u_pred − u_target)²` → `[N]`.
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> [Double] {
        checkShapes(prediction, target, "meanSquaredError")
        let perSample = prediction.count / max(prediction.batch, 1)
        return prediction.withUnsafeBufferPointer { p in
            target.withUnsafeBufferPointer { q in
                (0..<prediction.batch).map { b in
                    var sum = 0.0
                    for i in (b * perSample)..<((b + 1) * perSample) {
                        let d = unitRange(p[i]) - unitRange(q[i])
                        sum += d * d
                    }
                    return sum / Double(perSample)
                }
            }
        }
    }

    /// Per-sample `10·log10(1 / MSE)` dB (peak 1), at most `maximumPSNR` → `[N]`.
    public static func psnr(_ prediction: Tensor, _ target: Tensor) -> [Double] {
        meanSquaredError(prediction, target).map { mse in
            mse > 0 ? min(10 * log10(1 / mse), maximumPSNR) : maximumPSNR
        }
    }

    /// `clamp((v + 1) / 2, 0, 1)` in Double.
    @inline(__always)
    static func unitRange(_ value: Float) -> Double {
        min(max((Double(value) + 1) / 2, 0), 1)
    }

    static func checkShapes(_ prediction: Tensor, _ target: Tensor, _ metric: String) {
        precondition(prediction.rank == 4, "ImageMetrics.\(metric): expected [N, C, H, W], got \(prediction.shape)")
        precondition(prediction.shape == target.shape,
                     "ImageMetrics.\(metric): prediction \(prediction.shape) and target \(target.shape) differ")
    }
}
