import MSData
import MSMultiscale
import MSNN
import MSTasks
import MSTensor

/// A trained model's restorations of the first images of a dataset split, with the degradation
/// draws the run's validation uses (fixed by its seed): what `eval` measures and `report` shows.
public struct Restorations {
    /// The configuration stored in the weights file.
    public let configuration: TrainingConfiguration
    /// The dataset the images come from.
    public let dataPath: String
    /// The degraded inputs and clean targets, `[N, C, H, W]` in [−1, 1].
    public let batch: DegradedBatch
    /// The model's outputs for `batch.input`, `[N, C, H, W]` in [−1, 1].
    public let restored: Tensor
    /// Metrics of `restored` against the targets.
    public let metrics: ValidationMetrics
    /// Metrics of the degraded inputs themselves.
    public let inputMetrics: ValidationMetrics

    /// Loads the model described by `weights`'s stored configuration and its parameters, and
    /// restores the first `count` images (all when nil) of `split` of `data` (default: the
    /// run's data, or the default dataset, generated first if needed; `log` reports that).
    public init(weights: String, data: String?, split: Split, count: Int?, log: (String) -> Void) throws {
        let stored = try WeightsFile.configuration(in: weights)
        dataPath = try data ?? stored.data ?? DefaultDataset.ensure(log: log)
        let dataset = try ImageDataset(path: dataPath, split: split)
        let trained = try TrainedModel(weights: weights, channels: dataset.channels)
        configuration = trained.configuration
        let estimator = trained.estimator
        let validator = try Validator(dataset: dataset, task: trained.task, count: count ?? dataset.count, seed: configuration.seed,
                                      geometry: configuration.sampleGeometry)
        batch = validator.batch
        restored = try validator.predictions(estimator)
        metrics = Validator.metrics(restored, batch.target)
        inputMetrics = validator.inputMetrics
    }
}
