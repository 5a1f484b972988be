import MSKernels
import MSNN
import MSSpatial
import MSTasks
import MSTensor

/// Supplies degraded examples at the data's finest mesh. Which images a step uses and every
/// random draw of their degradation must depend only on `(seed, step, level, sample index)`,
/// so that the estimate does not depend on how samples are split between processes. The batch
/// carries the draws its inputs were composed from (`DegradedBatch.draws`).
public protocol ExampleSource {
    /// Examples `samples` of the term at `level` in global step `step`, at the finest mesh,
    /// with one identifier per sample (used for dropout masks).
    func examples(step: Int, level: Int, samples: Range<Int>) throws -> (batch: DegradedBatch, sampleIDs: [UInt64])
    /// The same examples' rows `rows` of the finest mesh (a strip of each image), bitwise
    /// those rows of `examples(step:level:samples:)`.
    func examples(step: Int, level: Int, samples: Range<Int>, rows: Range<Int>) throws -> (batch: DegradedBatch, sampleIDs: [UInt64])
}

extension ExampleSource {
    /// The whole examples, cut to `rows`.
    public func examples(step: Int, level: Int, samples: Range<Int>, rows: Range<Int>) throws
        -> (batch: DegradedBatch, sampleIDs: [UInt64]) {
        let (batch, ids) = try examples(step: step, level: level, samples: samples)
        let region = ImageRegion(rows: rows, columns: 0..<batch.input.width)
        return (DegradedBatch(input: region.extract(from: batch.input), target: region.extract(from: batch.target),
                              draws: batch.draws), ids)
    }
}

/// Loss sums of one term over the samples one process evaluated: `Σ_s ℓ_s` at the fine and
/// (for a correction) the coarse level, where `ℓ_s` is sample `s`'s mean squared error.
public struct TermLoss: Hashable, Sendable, Codable {
    public var level: Int
    public var fineLossSum: Double
    public var coarseLossSum: Double
    public var count: Int

    public init(level: Int, fineLossSum: Double = 0, coarseLossSum: Double = 0, count: Int = 0) {
        self.level = level
        self.fineLossSum = fineLossSum
        self.coarseLossSum = coarseLossSum
        self.count = count
    }
}

/// The multilevel gradient estimator of docs/method.md section 2:
///
///     ĝ = Σ_{terms} (1/N_t) Σ_{s ∈ B_t} [∇ℓ(f(R^ℓ u_s), R^ℓ y_s) − ∇ℓ(f(R^{ℓ+1} u_s), R^{ℓ+1} y_s)]
///
/// where the coarse half is present only for correction terms. Both halves of a correction
/// come from the same draws (the coarse input is the restriction of the fine input);
/// different terms draw different samples. Gradients are *accumulated* into
/// `model.parameters.gradients`; zeroing them is the caller's job.
public final class MultilevelEstimator {
    public let model: Model
    public let restriction: Restriction
    /// When true the prediction is `input + f(input)` (super-resolution's residual learning).
    public let residual: Bool
    /// Largest number of finest-mesh samples evaluated in one forward/backward (bounds
    /// memory). A term at level ℓ evaluates up to `microBatch·4^ℓ` samples at once: the same
    /// number of pixels, so small coarse images do not pay per-call overheads sample by sample.
    public let microBatch: Int
    /// Seed for dropout inside the network.
    public let seed: UInt64

    /// What the networks on coarser meshes are told, and the task whose degradation it is.
    public let conditioning: LevelConditioning
    public let task: TaskKind

    public init(model: Model, restriction: Restriction, residual: Bool = false, microBatch: Int = 8, seed: UInt64 = 0,
                conditioning: LevelConditioning = .drawn, task: TaskKind = .denoise) {
        precondition(microBatch > 0, "microBatch must be positive")
        self.model = model
        self.restriction = restriction
        self.conditioning = conditioning
        self.task = task
        self.residual = residual
        self.microBatch = microBatch
        self.seed = seed
    }

    /// Adds the contribution of `samples` (a subset of `0..<term.batchSize`) of `term` at
    /// `step`, each weighted `±1/term.batchSize`.
    ///
    /// With `strips` (the layout of the term's level-ℓ maps over a spatial group), this rank
    /// evaluates its strip of every sample: its share of each loss is its rows' squared errors
    /// over the whole image's element count, so the group's shares add up to the loss and
    /// gradient of whole images. Only the group's first rank counts the samples.
    public func accumulate(term: EstimatorTerm, samples: Range<Int>, step: Int, source: ExampleSource,
                           strips: StripLayout? = nil) throws -> TermLoss {
        precondition(samples.lowerBound >= 0 && samples.upperBound <= term.batchSize,
                     "samples \(samples) outside the term's batch 0..<\(term.batchSize)")
        var result = TermLoss(level: term.level)
        let chunkSize = microBatch << (2 * term.level)
        /// The share of each loss this rank's rows carry.
        let share = strips?.share ?? 1
        var start = samples.lowerBound
        while start < samples.upperBound {
            let chunk = start..<min(start + chunkSize, samples.upperBound)
            let (batch, ids): (DegradedBatch, [UInt64])
            if let strips {
                let rows = strips.ownRows
                (batch, ids) = try source.examples(step: step, level: term.level, samples: chunk,
                                                   rows: (rows.lowerBound << term.level)..<(rows.upperBound << term.level))
            } else {
                (batch, ids) = try source.examples(step: step, level: term.level, samples: chunk)
            }
            let weight = Float(chunk.count) / Float(term.batchSize)
            let context = ForwardContext(training: true, seed: seed, sampleIDs: ids, strips: strips)
            let (fine, coarse) = halves(of: batch, term: term)
            result.fineLossSum += try evaluate(fine, weight: weight, share: share, context: context) * Double(chunk.count)
            if let coarse {
                result.coarseLossSum += try evaluate(coarse, weight: -weight, share: share, context: context.downsampled(by: 2))
                    * Double(chunk.count)
            }
            if strips?.group.isRoot ?? true { result.count += chunk.count }
            start = chunk.upperBound
        }
        return result
    }

    /// Every term of `plan` over all its samples (one process).
    public func estimate(plan: EstimatorPlan, step: Int, source: ExampleSource) throws -> [TermLoss] {
        try plan.terms.map { try accumulate(term: $0, samples: 0..<$0.batchSize, step: step, source: source) }
    }

    /// The prediction for `input` (with the residual added back when `residual`).
    public func predict(_ input: Tensor, time: [Float], context: ForwardContext) throws -> Tensor {
        let output = try model.forward(input, time: time, context: context).output
        return residual ? output + input : output
    }

    /// The halves of one chunk of `term` (docs/method.md section 2), both from the one set of
    /// draws `batch.draws`. Fine half: the sample degraded from the draws at the finest mesh
    /// (`batch.input`) and its target, restricted `ℓ` times. Coarse half (corrections only),
    /// the coupling rule: the fine half restricted once more; the draws are never re-drawn for
    /// it. Each half is told the draws' noise levels as `conditioning` has it for its mesh.
    private func halves(of batch: DegradedBatch, term: EstimatorTerm) -> (fine: LevelExamples, coarse: LevelExamples?) {
        let input = restriction(batch.input, times: term.level), target = restriction(batch.target, times: term.level)
        let fine = examples(input: input, target: target, time: batch.time, levels: term.level)
        guard term.isCorrection else { return (fine, nil) }
        return (fine, examples(input: restriction(input), target: restriction(target), time: batch.time, levels: term.level + 1))
    }

    /// The examples of an observation restricted `levels` times, conditioned.
    private func examples(input: Tensor, target: Tensor, time: [Float], levels: Int) -> LevelExamples {
        let conditioned = conditioning.condition(input, time: time, levels: levels, noiseFactor: restriction.noiseFactor, task: task)
        return LevelExamples(input: conditioned.input, target: target, time: conditioned.time)
    }

    /// Forward, mean squared error and backward with the loss scaled by `weight`; returns the
    /// mean loss of the chunk, times `share` (a strip's rows over the image's, whose mean
    /// squared error is `share` times the strip's mean).
    private func evaluate(_ examples: LevelExamples, weight: Float, share: Float, context: ForwardContext) throws -> Double {
        let (output, pullback) = try model.forward(examples.input, time: examples.time, context: context)
        let prediction = residual ? output + examples.input : output
        let loss = MSELoss.forward(prediction: prediction, target: examples.target)
        pullback(MSELoss.backward(prediction: prediction, target: examples.target, scale: weight * share))
        return loss * Double(share)
    }
}

/// One half of a term's chunk at its mesh: network inputs and targets `[n, C, h, w]` and the
/// noise level the network is told per sample `[n]`.
private struct LevelExamples {
    var input: Tensor
    var target: Tensor
    var time: [Float]
}
