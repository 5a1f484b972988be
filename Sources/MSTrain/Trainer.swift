import Foundation
import MSData
import MSDistributed
import MSMultiscale
import MSNN
import MSOptim
import MSTasks
import MSTensor

/// What a finished run reports (also written to `summary.json`).
public struct TrainingSummary: Codable, Equatable, Sendable {
    public var mode: TrainingMode
    public var steps: Int
    public var skippedSteps: Int
    public var workUnits: Double
    public var seconds: Double
    /// CPU seconds of the (rank 0) process over the training steps, all its threads together.
    public var cpuSeconds: Double?
    public var validation: ValidationMetrics
    /// Metrics of the degraded validation inputs themselves.
    public var inputValidation: ValidationMetrics
}

/// An error that every rank throws at the same point, because it follows from values all
/// ranks share (options, reduced flags): it ends the job on every rank without an abort, and
/// only rank 0 reports it.
public protocol CollectiveError: Error {}

/// Errors that end a run.
public enum TrainingError: CollectiveError, CustomStringConvertible, Equatable {
    case nonFinite(step: Int)
    case rankCount(ranks: Int, spatialShards: Int)
    case memoryBudget(neededBytes: Int, budget: MemoryBudget, largest: String)

    public var description: String {
        switch self {
        case .nonFinite(let step):
            return "step \(step): a loss or gradient was not finite and --on-non-finite stop is set; "
                + "lower the learning rate, check the data for NaN, or use --on-non-finite skip"
        case .rankCount(let ranks, let spatialShards):
            return "--spatial-shards \(spatialShards) needs a rank count that is a multiple of it, got \(ranks) ranks"
        case .memoryBudget(let needed, let budget, let largest):
            return "a training step needs about \(MemoryBudget.format(needed)) per rank (largest micro-batch: \(largest)), "
                + "over the memory budget of \(budget): split the fine levels over more ranks with --spatial-shards, "
                + "lower --micro-batch, or raise --memory-budget-mb"
        }
    }
}

/// Runs one training configuration: step = zero gradients → estimate → reduce → update.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let model: Model
    public let estimator: MultilevelEstimator
    public let source: DatasetExampleSource
    public let validator: Validator
    public let runDirectory: RunDirectory
    public let communicator: any Communicator
    /// Parameters, optimizer, schedule and progress: what checkpoints save and restore.
    public internal(set) var state: TrainingState
    /// Set by SIGTERM/SIGUSR1 (see `StopRequest.install`); checked at every step boundary.
    public let stopRequest = StopRequest()
    let reporter: ProgressReporter
    let reduction: StepReduction
    /// Which terms run on strips, and how (`--spatial-shards`).
    public let sharding: SpatialSharding
    /// This rank's spatial group (nil for groups of one).
    let spatialGroup: (any Communicator)?
    /// How each plan's samples are split over the ranks, computed once per plan.
    private var shardPlans: [EstimatorPlan: ShardPlan] = [:]

    /// Opens the data, builds the model and optimizer and prepares the run directory (rank 0).
    /// `dataPath` is the resolved dataset file (the configuration's or the built-in default).
    public init(configuration: TrainingConfiguration, dataPath: String, reporter: ProgressReporter,
                communicator: any Communicator = SingleProcessCommunicator()) throws {
        try configuration.validate()
        self.configuration = configuration
        self.reporter = reporter
        let schedule = try configuration.schedule()
        // Opened uncached first: whether the splits are cached depends on what the step leaves
        // of the memory budget, which depends on the model, which depends on the data.
        let uncached = try ImageDataset(path: dataPath, split: .train, levels: configuration.dataLevels, memoryBudgetBytes: 0)
        model = try configuration.makeModel(for: uncached)
        let groupSize = configuration.spatialShards
        guard communicator.size % groupSize == 0 else {
            throw TrainingError.rankCount(ranks: communicator.size, spatialShards: groupSize)
        }
        let sampleSize = try configuration.sampleGeometry.sampleSize(of: uncached)
        sharding = SpatialSharding(groupSize: groupSize, imageHeight: sampleSize.height, totalStride: model.totalStride)
        let memory = try MemoryCheck(configuration: configuration, schedule: schedule, dataset: uncached, sampleSize: sampleSize, model: model,
                                     sharding: sharding, communicator: communicator)
        try memory.enforce()
        // The validator reads its images once; only the training split is worth caching.
        let train = try ImageDataset(path: dataPath, split: .train, levels: configuration.dataLevels, memoryBudgetBytes: memory.spareBytes)
        let valid = try ImageDataset(path: dataPath, split: .valid, levels: configuration.dataLevels, memoryBudgetBytes: 0)
        let optimizer = configuration.optimizer.make(parameterCount: model.parameters.count, weightDecay: configuration.weightDecay,
                                                     momentum: configuration.momentum)
        state = TrainingState(parameters: model.parameters, optimizer: optimizer, schedule: schedule)
        let task = RestorationTask(kind: configuration.task, options: configuration.taskOptions)
        estimator = MultilevelEstimator(model: model, restriction: configuration.restriction,
                                        residual: configuration.addsInputToOutput,
                                        microBatch: configuration.microBatch, seed: configuration.seed,
                                        conditioning: configuration.levelConditioning, task: configuration.task)
        source = try DatasetExampleSource(dataset: train, task: task, seed: configuration.seed, geometry: configuration.sampleGeometry)
        validator = try Validator(dataset: valid, task: task, count: configuration.validationCount, seed: configuration.seed,
                                  geometry: configuration.sampleGeometry)
        runDirectory = communicator.isRoot ? try RunDirectory(path: configuration.runDirectory)
            : RunDirectory(unverifiedPath: configuration.runDirectory)
        self.communicator = communicator
        spatialGroup = groupSize > 1 ? communicator.split(color: communicator.rank / groupSize, key: communicator.rank) : nil
        reduction = StepReduction(parameterCount: model.parameters.count,
                                  maximumTerms: schedule.stages.map(\.plan.terms.count).max()!)
    }

    deinit { spatialGroup?.finalize() }

    /// How the samples of `plan` are split over this job's ranks.
    public func shardPlan(for plan: EstimatorPlan) -> ShardPlan {
        if let known = shardPlans[plan] { return known }
        let computed = sharding.plan(plan, rankCount: communicator.size)
        shardPlans[plan] = computed
        return computed
    }

    /// The learning rate of global step `step`.
    public func learningRate(at step: Int) -> Float {
        let (c, schedule) = (configuration, state.schedule)
        switch c.learningRateSchedule {
        case .constant:
            return c.effectiveLearningRate
        case .cosine:
            return CosineSchedule(baseLearningRate: c.effectiveLearningRate, minimumLearningRate: c.minLearningRate,
                                  totalSteps: schedule.totalIterations, warmupSteps: c.warmupSteps).learningRate(at: step)
        case .cosinePerStage:
            let (stage, inStage) = schedule.position(ofStep: step)
            return CosineSchedule(baseLearningRate: c.effectiveLearningRate, minimumLearningRate: c.minLearningRate,
                                  totalSteps: schedule.stages[stage].iterations,
                                  warmupSteps: min(c.warmupSteps, schedule.stages[stage].iterations - 1)).learningRate(at: inStage)
        case .holdThenCosine:
            let decayStart = schedule.firstStep(ofStage: schedule.stages.count - 1)
            if step < decayStart {
                return step < c.warmupSteps ? c.effectiveLearningRate * Float(step + 1) / Float(c.warmupSteps) : c.effectiveLearningRate
            }
            return CosineSchedule(baseLearningRate: c.effectiveLearningRate, minimumLearningRate: c.minLearningRate,
                                  totalSteps: schedule.stages.last!.iterations).learningRate(at: step - decayStart)
        }
    }

    /// What one step reports, identical on every rank.
    public struct StepOutcome {
        /// The step's term losses summed over the ranks.
        public var terms: [TermLoss]
        /// Some rank saw a non-finite loss or gradient, so every rank skipped the update.
        public var skipped: Bool
        /// Some rank was asked to stop (a signal).
        public var stopRequested: Bool
        /// Work units of the step: its estimate, plus any level-variance measurement.
        public var work: Double
        /// The learning rate of the update.
        public var learningRate: Float
    }

    /// One optimizer step at global step `step`: this rank evaluates its shards of the step's
    /// terms, one allreduce sums gradients, losses and flags over the ranks, and every rank
    /// applies the same update, unless some rank saw a non-finite loss or gradient (then every
    /// rank skips it).
    public func step(_ step: Int) throws -> StepOutcome {
        let stageIndex = state.schedule.position(ofStep: step).stage
        let measurementWork = try reallocateLevelBatchesIfDue(step: step)
        let plan = state.schedule.stages[stageIndex].plan
        communicator.step = step
        model.parameters.zeroGradients()
        var terms = plan.terms.map { TermLoss(level: $0.level) }
        for shard in shardPlan(for: plan).shards(forRank: communicator.rank) {
            let term = plan.terms[shard.term]
            let strips = shard.isTiled ? sharding.layout(of: term, group: spatialGroup!) : nil
            let part = try estimator.accumulate(term: term, samples: shard.samples, step: step, source: source, strips: strips)
            terms[shard.term].fineLossSum += part.fineLossSum
            terms[shard.term].coarseLossSum += part.coarseLossSum
            terms[shard.term].count += part.count
        }
        let (reduced, nonFinite, stop) = reduction.reduce(gradients: model.parameters.gradients, terms: terms,
                                                          stopRequested: stopRequest.isRequested, communicator: communicator)
        let rate = learningRate(at: step)
        if !nonFinite {
            state.optimizer.step(parameters: model.parameters.values, gradients: UnsafeBufferPointer(model.parameters.gradients),
                                 learningRate: rate)
        }
        return StepOutcome(terms: reduced, skipped: nonFinite, stopRequested: stop, work: plan.work + measurementWork,
                           learningRate: rate)
    }

    /// Whether every rank holds bitwise the same parameters (one collective; all ranks must call it).
    public func replicasAgree() -> Bool {
        let hash = FNV1a.hash(floats: model.parameters.values)
        return communicator.allreduce(hash, op: .max) == communicator.allreduce(hash, op: .min)
    }

    /// Runs the remaining steps (all of them, or those after a resumed checkpoint), validating
    /// every `validateEvery` steps and at the end. Rank 0 validates, prints and writes
    /// `config.yaml`, `log.jsonl`, `summary.json` and `weights.h5`; every rank returns the
    /// same summary.
    public func run() throws -> TrainingSummary {
        let session = try start()
        while !state.isComplete {
            let step = state.progress.nextStep
            announceStageIfNew(step: step, session: session)
            let outcome = try self.step(step)
            try account(outcome, step: step)
            var validation: ValidationMetrics?
            if isValidationDue(after: step) {
                validation = try validate(after: step)
                switchStageIfDue(step: step)
            }
            try record(outcome, step: step, validation: validation, session: session)
            try checkpointIfDue(stopRequested: outcome.stopRequested)
        }
        return try finish(session)
    }

    /// The clocks and the step log of one `run()` call.
    private final class RunSession {
        /// `log.jsonl`, on rank 0 only.
        let log: JSONLinesWriter?
        let firstStep: Int
        let inputMetrics: ValidationMetrics
        private let start = DispatchTime.now().uptimeNanoseconds
        private let cpuStart = processCPUSeconds()
        /// Seconds and CPU seconds of earlier runs of the same run (before a resume).
        let secondsBefore, cpuSecondsBefore: Double
        /// The stage whose start was last announced.
        var announcedStage = -1

        init(log: JSONLinesWriter?, progress: TrainingProgress, inputMetrics: ValidationMetrics) {
            self.log = log
            self.firstStep = progress.nextStep
            self.inputMetrics = inputMetrics
            (secondsBefore, cpuSecondsBefore) = (progress.seconds, progress.cpuSeconds)
        }

        /// Training seconds of the whole run so far.
        var seconds: Double { secondsBefore + Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        /// CPU seconds of the whole run so far (this process's share since this call).
        var cpuSeconds: Double { cpuSecondsBefore + processCPUSeconds() - cpuStart }
    }

    /// Opens the log and writes `config.yaml` (rank 0), reports the degraded inputs' metrics
    /// and starts the clocks.
    private func start() throws -> RunSession {
        let root = communicator.isRoot
        let log = root ? try JSONLinesWriter(path: runDirectory.file("log.jsonl"), append: state.progress.nextStep > 0) : nil
        if root { try runDirectory.write(try configuration.yaml(), to: "config.yaml") }
        let input = validator.inputMetrics
        reporter.log(String(format: "validation input (degraded) metrics: PSNR %.2f dB, SSIM %.4f, MSE %.5f",
                            input.psnr, input.ssim, input.mse))
        return RunSession(log: log, progress: state.progress, inputMetrics: input)
    }

    /// Prints the stage's meshes and batches (and, on several ranks, its level plan) when
    /// `step` is the first step of a stage in this call.
    private func announceStageIfNew(step: Int, session: RunSession) {
        let stageIndex = state.schedule.position(ofStep: step).stage
        guard stageIndex != session.announcedStage else { return }
        let stage = state.schedule.stages[stageIndex]
        reporter.log("stage \(stageIndex + 1)/\(state.schedule.stages.count): \(stage.iterations) steps, "
                     + describe(stage.plan, finestSize: source.sampleSize.height))
        if communicator.size > 1 { reporter.log(shardPlan(for: stage.plan).description) }
        session.announcedStage = stageIndex
    }

    /// Counts the step's work and a skipped update, and moves on to the next step. Throws
    /// `TrainingError.nonFinite` for a skipped update under `--on-non-finite stop`.
    private func account(_ outcome: StepOutcome, step: Int) throws {
        if outcome.skipped {
            state.progress.skippedSteps += 1
            reporter.log("step \(step): a rank saw a non-finite loss or gradient; every rank skipped the update")
            if configuration.stopOnNonFinite { throw TrainingError.nonFinite(step: step) }
        }
        state.progress.cumulativeWork += outcome.work
        state.progress.nextStep = step + 1
    }

    /// Validation follows every `validateEvery`-th step and the last one.
    private func isValidationDue(after step: Int) -> Bool {
        (step + 1) % configuration.validateEvery == 0 || step == state.schedule.totalIterations - 1
    }

    /// Rank 0 validates and records the metrics; other ranks return nil. With spatial groups,
    /// rank 0's group validates together, each rank on its strip of the images.
    private func validate(after step: Int) throws -> ValidationMetrics? {
        if let group = spatialGroup, communicator.rank < sharding.groupSize,
           let layout = sharding.wholeImageLayout(group: group) {
            let metrics = try validator.evaluate(estimator, strips: layout)
            return communicator.isRoot ? record(validation: metrics, after: step) : nil
        }
        guard communicator.isRoot else { return nil }
        return record(validation: try validator.evaluate(estimator), after: step)
    }

    /// Keeps rank 0's validation metrics in the progress.
    private func record(validation metrics: ValidationMetrics, after step: Int) -> ValidationMetrics {
        state.progress.latestValidation = metrics
        state.progress.validationHistory.append(ValidationRecord(step: step, mse: metrics.mse, psnr: metrics.psnr, ssim: metrics.ssim))
        return metrics
    }

    /// Updates the clocks; rank 0 appends the step to `log.jsonl` and prints the progress line.
    private func record(_ outcome: StepOutcome, step: Int, validation: ValidationMetrics?, session: RunSession) throws {
        let seconds = session.seconds
        state.progress.seconds = seconds
        state.progress.cpuSeconds = session.cpuSeconds
        guard let log = session.log else { return }
        let (stageIndex, _) = state.schedule.position(ofStep: step)
        let plan = state.schedule.stages[stageIndex].plan
        let records = outcome.terms.enumerated().map { t, term in
            TermRecord(level: term.level, fine: term.fineLossSum / Double(term.count),
                       coarse: plan.terms[t].isCorrection ? term.coarseLossSum / Double(term.count) : nil,
                       samples: term.count)
        }
        let progress = state.progress
        try log.append(StepRecord(step: step, stage: stageIndex, learningRate: outcome.learningRate, loss: records[0].fine,
                                  terms: records, workUnits: outcome.work, cumulativeWorkUnits: progress.cumulativeWork,
                                  seconds: seconds, cpuSeconds: progress.cpuSeconds, skipped: outcome.skipped, validation: validation))
        let total = state.schedule.totalIterations
        let eta = (seconds - session.secondsBefore) / Double(step + 1 - session.firstStep) * Double(total - step - 1)
        var line = String(format: "stage %d/%d  step %d/%d  loss %.5f", stageIndex + 1, state.schedule.stages.count,
                          step + 1, total, records[0].fine)
        if let latest = progress.latestValidation { line += String(format: "  valid PSNR %.2f dB", latest.psnr) }
        line += String(format: "  WU %.0f  %@ elapsed, ETA %@", progress.cumulativeWork, formatDuration(seconds), formatDuration(eta))
        reporter.update(line, seconds: seconds, force: validation != nil)
    }

    /// Writes a checkpoint every `checkpointEvery` steps (not after the last step: `finish`
    /// writes that one); on a stop request, writes one and throws `TrainingInterrupted`.
    private func checkpointIfDue(stopRequested: Bool) throws {
        let next = state.progress.nextStep
        if stopRequested {
            reporter.finish()
            let path = try saveCheckpoint()
            throw TrainingInterrupted(step: next, checkpoint: path)
        }
        if configuration.checkpointEvery > 0 && next % configuration.checkpointEvery == 0 && !state.isComplete {
            let path = try saveCheckpoint()
            reporter.log("checkpoint \(path)")
        }
    }

    /// The final checkpoint, the summary on every rank, and (rank 0) `weights.h5` and `summary.json`.
    private func finish(_ session: RunSession) throws -> TrainingSummary {
        reporter.finish()
        if configuration.checkpointEvery > 0 { try saveCheckpoint() }
        let final = broadcastValidation(state.progress.latestValidation)
        let summary = TrainingSummary(mode: configuration.mode, steps: state.schedule.totalIterations,
                                      skippedSteps: state.progress.skippedSteps, workUnits: state.progress.cumulativeWork,
                                      seconds: session.seconds, cpuSeconds: session.cpuSeconds,
                                      validation: final, inputValidation: session.inputMetrics)
        if communicator.isRoot {
            try WeightsFile.write(model, configuration: configuration, to: runDirectory.file("weights.h5"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try runDirectory.write(String(decoding: try encoder.encode(summary), as: UTF8.self), to: "summary.json")
        }
        return summary
    }

    /// Rank 0 writes a checkpoint of the current state; every rank returns its path.
    @discardableResult
    public func saveCheckpoint() throws -> String {
        let directory = CheckpointDirectory(runDirectory: runDirectory, keep: configuration.keepCheckpoints)
        return communicator.isRoot ? try directory.save(state, configuration: configuration)
            : runDirectory.file(CheckpointDirectory.fileName(step: state.progress.nextStep))
    }

    /// Restores a checkpoint on every rank: `path`, or with "auto" the newest usable one in the
    /// run directory. Returns the checkpoint's path, or nil for "auto" in a run directory
    /// without checkpoints (the run starts from step 0).
    @discardableResult
    public func resume(from path: String) throws -> String? {
        if path == "auto" {
            return try CheckpointDirectory(runDirectory: runDirectory, keep: configuration.keepCheckpoints)
                .resumeNewest(&state, configuration: configuration, log: reporter.log)
        }
        try Checkpoint.read(into: &state, configuration: configuration, from: path)
        return path
    }

    /// Rank 0's validation metrics on every rank.
    private func broadcastValidation(_ metrics: ValidationMetrics?) -> ValidationMetrics {
        var values = [metrics?.mse ?? .nan, metrics?.psnr ?? .nan, metrics?.ssim ?? .nan]
        values.withUnsafeMutableBufferPointer { communicator.broadcast($0, root: 0) }
        return ValidationMetrics(mse: values[0], psnr: values[1], ssim: values[2])
    }

    /// "levels 64², 32² with batches 16, 16" for a plan on data of side `finestSize`.
    func describe(_ plan: EstimatorPlan, finestSize: Int) -> String {
        let sizes = (plan.finestLevel...plan.coarsestLevel).map { "\(finestSize >> $0)²" }
        let batches = plan.terms.map { "\($0.batchSize)" }
        return "meshes \(sizes.joined(separator: ", ")), batch per term \(batches.joined(separator: ", ")), "
            + String(format: "%.2f WU per step", plan.work)
    }
}
