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
        let (clean, ids) = try cleanImages(step: step, level: level, samples: samples)
        return (task.degrade(clean, seed: seed, streams: ids), ids)
    }

    /// Degrades only rows `rows` of each image (from the whole clean image, which is read whole):
    /// bitwise those rows of `examples(step:level:samples:)`.
    public func examples(step: Int, level: Int, samples: Range<Int>, rows: Range<Int>) throws
        -> (batch: DegradedBatch, sampleIDs: [UInt64]) {
        let (clean, ids) = try cleanImages(step: step, level: level, samples: samples)
        let region = ImageRegion(rows: rows, columns: 0..<clean.width)
        let draws = ids.map { task.draws(seed: seed, stream: $0, channels: clean.channels, height: clean.height, width: clean.width) }
        let inputs = draws.indices.map { b in task.compose(image: clean.batchSlice(b..<(b + 1)), draws: draws[b], region: region) }
        return (DegradedBatch(input: Tensor.stackBatch(inputs), target: region.extract(from: clean), draws: draws), ids)
    }

    /// The clean images of the samples and their stream ids.
    private func cleanImages(step: Int, level: Int, samples: Range<Int>) throws -> (images: Tensor, ids: [UInt64]) {
        let ids = samples.map { SampleStream.training(step: step, level: level, sample: $0) }
        let indices = ids.map { id -> Int in
            var random = CounterRandom(seed: seed, indices: id, StreamSalt.imageChoice)
            return random.index(below: dataset.count)
        }
        return (try dataset.samples(indices), ids)
    }
}
