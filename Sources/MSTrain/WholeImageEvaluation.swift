import MSData
import MSMultiscale
import MSTasks
import MSTensor

/// A trained model on whole images of a dataset split, one image at a time, at each image's
/// own size (docs/inference.md): image `k` is degraded with the draws of validation stream
/// `k` (fixed by the run's seed, as in validation) and restored by an `ImageRestorer`.
public struct WholeImageEvaluation {
    /// One image's degraded input, restoration and clean target, `[1, C, H, W]` in [−1, 1].
    public struct Image {
        public var input, restored, target: Tensor
        public var metrics, inputMetrics: ValidationMetrics
    }

    public let trained: TrainedModel
    public let dataset: ImageDataset

    public init(trained: TrainedModel, dataset: ImageDataset) {
        self.trained = trained
        self.dataset = dataset
    }

    /// Image `index` restored with `layout` (with `.strips`, every rank of the group calls it).
    public func image(_ index: Int, layout: ImageRestorer.Layout) throws -> Image {
        let size = dataset.sizes[index]
        let clean = try dataset.region(index, rows: 0..<size.height, columns: 0..<size.width)
        let degraded = trained.task.degrade(clean, seed: trained.configuration.seed, streams: [SampleStream.validation(index: index)])
        let restored = try ImageRestorer(estimator: trained.estimator).restore(degraded.input, time: degraded.time[0], layout: layout)
        return Image(input: degraded.input, restored: restored, target: clean,
                     metrics: Validator.metrics(restored, clean), inputMetrics: Validator.metrics(degraded.input, clean))
    }
}
