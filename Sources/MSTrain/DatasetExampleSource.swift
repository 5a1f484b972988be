import MSData
import MSMultiscale
import MSTasks
import MSTensor

/// Training examples drawn from a dataset split and degraded by a task.
///
/// Sample `s` of the term at `level` in step `step` has the stream id
/// `SampleStream.training(step: step, level: level, sample: s)`; the image index (drawn with
/// replacement) and every draw of its degradation come from `(seed, stream id)` alone, so any
/// process can produce any sample and the estimate does not depend on how samples are split
/// across processes.
public final class DatasetExampleSource: ExampleSource {
    public let dataset: ImageDataset
    public let task: RestorationTask
    public let seed: UInt64

    public init(dataset: ImageDataset, task: RestorationTask, seed: UInt64) {
        self.dataset = dataset
        self.task = task
        self.seed = seed
    }

    public func examples(step: Int, level: Int, samples: Range<Int>) throws -> (batch: DegradedBatch, sampleIDs: [UInt64]) {
        try examples(step: step, level: level, samples: samples, only: nil)
    }

    /// Degrades only rows `rows` of each image (from the whole clean image, which is read whole):
    /// bitwise those rows of `examples(step:level:samples:)`.
    public func examples(step: Int, level: Int, samples: Range<Int>, rows: Range<Int>) throws
        -> (batch: DegradedBatch, sampleIDs: [UInt64]) {
        try examples(step: step, level: level, samples: samples, only: rows)
    }

    private func examples(step: Int, level: Int, samples: Range<Int>, only rows: Range<Int>?) throws
        -> (batch: DegradedBatch, sampleIDs: [UInt64]) {
        let ids = samples.map { SampleStream.training(step: step, level: level, sample: $0) }
        let indices = ids.map { id -> Int in
            var random = CounterRandom(seed: seed, indices: id, StreamSalt.imageChoice)
            return random.index(below: dataset.count)
        }
        return (task.degrade(try dataset.samples(indices), seed: seed, streams: ids, rows: rows), ids)
    }
}
