import MSData
import MSMultiscale
import MSNN
import MSSpatial
import MSTasks
import MSTensor

/// Validation metrics on [0, 1], averaged over the validation images.
public struct ValidationMetrics: Codable, Equatable, Sendable {
    public var mse: Double
    public var psnr: Double
    public var ssim: Double

    /// The average of `metrics` (each averaged over its own images).
    public static func mean(_ metrics: [ValidationMetrics]) -> ValidationMetrics {
        func mean(_ value: (ValidationMetrics) -> Double) -> Double { metrics.map(value).reduce(0, +) / Double(metrics.count) }
        return ValidationMetrics(mse: mean(\.mse), psnr: mean(\.psnr), ssim: mean(\.ssim))
    }
}

/// Evaluates a model at the finest mesh on a fixed validation subset with fixed degradation
/// draws, so that every evaluation of a run (and of runs with the same seed) sees the same
/// inputs.
public final class Validator {
    public let batch: DegradedBatch
    /// The metrics of the degraded input itself (for example the noisy image): the baseline a
    /// model has to beat.
    public let inputMetrics: ValidationMetrics
    /// Images predicted in one forward.
    public static let chunk = 8

    /// Takes the first `count` images of `dataset` (fewer if the split is smaller), or with a
    /// patch `count` fixed crops of its images (`SampleGeometry.validationWindow`).
    public init(dataset: ImageDataset, task: RestorationTask, count: Int, seed: UInt64,
                geometry: SampleGeometry = SampleGeometry()) throws {
        let size = try geometry.sampleSize(of: dataset)
        let indices = Array(0..<geometry.validationCount(count, of: dataset))
        let clean = Tensor.stackBatch(try indices.map {
            try geometry.validationWindow(index: $0, dataset: dataset).read(rows: 0..<size.height, from: dataset)
        })
        batch = task.degrade(clean, seed: seed, streams: indices.map(SampleStream.validation(index:)))
        inputMetrics = Validator.metrics(batch.input, batch.target)
    }

    /// Metrics of `estimator`'s predictions (with `strips`, every rank of the group must call it).
    public func evaluate(_ estimator: MultilevelEstimator, strips: StripLayout? = nil) throws -> ValidationMetrics {
        try Validator.metrics(predictions(estimator, strips: strips), batch.target)
    }

    /// The predictions for every validation image, `[count, C, H, W]` in [−1, 1]. With
    /// `strips`, every rank of the group predicts its strip of each image and the group gathers
    /// the whole predictions (a few channels), so no rank holds a whole image's activations.
    public func predictions(_ estimator: MultilevelEstimator, strips: StripLayout? = nil) throws -> Tensor {
        let n = batch.input.batch
        var parts: [Tensor] = []
        for start in stride(from: 0, to: n, by: Self.chunk) {
            let range = start..<min(n, start + Self.chunk)
            var context = ForwardContext.inference(count: range.count)
            context.strips = strips
            let input = batch.input.batchSlice(range)
            let prediction = try estimator.predict(strips.map { input.rows($0.ownRows) } ?? input, time: Array(batch.time[range]),
                                                   context: context)
            parts.append(strips?.gather(prediction) ?? prediction)
        }
        return Tensor.stackBatch(parts)
    }

    /// Metrics of `prediction` against `target`, averaged over the batch.
    public static func metrics(_ prediction: Tensor, _ target: Tensor) -> ValidationMetrics {
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
        return ValidationMetrics(mse: mean(ImageMetrics.meanSquaredError(prediction, target)),
                                 psnr: mean(ImageMetrics.psnr(prediction, target)),
                                 ssim: mean(ImageMetrics.ssim(prediction, target)))
    }
}
