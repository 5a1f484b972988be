import MSData
import MSMultiscale
import MSTasks
import MSTensor

/// Training examples cut from a dataset split (`SampleGeometry`) and degraded by a task.
///
/// Sample `s` of the term at `level` in step `step` has the stream id
/// `SampleStream.training(step: step, level: level, sample: s)`; its image (drawn with
/// replacement), its crop and every draw of its degradation come from `(seed, stream id)`
/// alone, so any process can produce any sample and the estimate does not depend on how
/// samples are split across processes.
public final class DatasetExampleSource: ExampleSource {
    public let dataset: ImageDataset
    public let task: RestorationTask
    public let seed: UInt64
    public let geometry: SampleGeometry
    /// The size of every sample.
    public let sampleSize: ImageSize

    public init(dataset: ImageDataset, task: RestorationTask, seed: UInt64, geometry: SampleGeometry = SampleGeometry()) throws {
        self.dataset = dataset
        self.task = task
        self.seed = seed
        self.geometry = geometry
        sampleSize = try geometry.sampleSize(of: dataset)
    }

    public func examples(step: Int, level: Int, samples: Range<Int>) throws -> (batch: DegradedBatch, sampleIDs: [UInt64]) {
        try examples(step: step, level: level, samples: samples, rows: 0..<sampleSize.height)
    }

    /// Degrades only rows `rows` of each sample, reading only the rows of its window that
    /// these need (with a blur's halo): bitwise those rows of the whole samples' examples.
    public func examples(step: Int, level: Int, samples: Range<Int>, rows: Range<Int>) throws
        -> (batch: DegradedBatch, sampleIDs: [UInt64]) {
        let ids = samples.map { SampleStream.training(step: step, level: level, sample: $0) }
        var inputs: [Tensor] = [], targets: [Tensor] = [], draws: [SampleDraws] = []
        for id in ids {
            let window = geometry.trainingWindow(seed: seed, stream: id, dataset: dataset)
            let draw = task.draws(seed: seed, stream: id, channels: dataset.channels, height: sampleSize.height, width: sampleSize.width)
            let (input, target) = try task.degrade(draws: draw, rows: rows) { try window.read(rows: $0, from: dataset) }
            inputs.append(input)
            targets.append(target)
            draws.append(draw)
        }
        return (DegradedBatch(input: Tensor.stackBatch(inputs), target: Tensor.stackBatch(targets), draws: draws), ids)
    }
}
