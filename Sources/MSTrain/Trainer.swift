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

/// Where a run stands between steps: everything besides the model and optimizer that a
/// resumed run needs to continue exactly.
public struct TrainingProgress: Codable, Equatable, Sendable {
    /// The next global step to run.
    public var nextStep = 0
    public var cumulativeWork = 0.0
    public var skippedSteps = 0
    /// Training seconds so far (over all processes that ran this run).
    public var seconds = 0.0
    /// CPU seconds so far of the rank 0 processes that ran this run.
    public var cpuSeconds = 0.0
    public var latestValidation: ValidationMetrics?
    /// Every validation of the run so far.
    public var validationHistory: [ValidationRecord] = []
    public init() {}
}

/// The validation metrics measured after `step`.
public struct ValidationRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var mse, psnr, ssim: Double
    public var metrics: ValidationMetrics { ValidationMetrics(mse: mse, psnr: psnr, ssim: ssim) }
}

/// An error that every rank throws at the same point, because it follows from values all
/// ranks share (options, reduced flags): it ends the job on every rank without an abort, and
/// only rank 0 reports it.
public protocol CollectiveError: Error {}

/// Errors that end a run.
public enum TrainingError: CollectiveError, CustomStringConvertible, Equatable {
    case nonFinite(step: Int)

    public var description: String {
        switch self {
        case .nonFinite(let step):
            return "step \(step): a loss or gradient was not finite and --on-non-finite stop is set; "
                + "lower the learning rate, check the data for NaN, or use --on-non-finite skip"
        }
    }
}

/// Runs one training configuration: step = zero gradients → estimate → check → update.
public final class Trainer {
    public let configuration: TrainingConfiguration
    /// The stages; adaptive stage switches and level batches change it as the run goes.
    public internal(set) var schedule: TrainingSchedule
    public let model: Model
    public let optimizer: any Optimizer
    public let estimator: MultilevelEstimator
    public let source: DatasetExampleSource
    public let validator: Validator
    public let runDirectory: RunDirectory
    public let communicator: any Communicator
    /// How each stage's samples are split over the ranks.
    public internal(set) var levelPlans: [LevelPlan]
    /// Where the run stands; saved in and restored from checkpoints.
    public var progress = TrainingProgress()
    /// Set by SIGTERM/SIGUSR1 (see `StopRequest.install`); checked at every step boundary.
    public let stopRequest = StopRequest()
    let reporter: ProgressReporter
    let reduction: StepReduction

    /// Opens the data, builds the model and optimizer and prepares the run directory (rank 0).
    /// `dataPath` is the resolved dataset file (the configuration's or the built-in default).
    public init(configuration: TrainingConfiguration, dataPath: String, reporter: ProgressReporter,
                communicator: any Communicator = SingleProcessCommunicator()) throws {
        try configuration.validate()
        self.configuration = configuration
        self.reporter = reporter
        schedule = try configuration.schedule()
        let budget = configuration.memoryBudgetMB << 20
        let train = try ImageDataset(path: dataPath, split: .train, levels: configuration.levelsUsed, memoryBudgetBytes: budget)
        let valid = try ImageDataset(path: dataPath, split: .valid, levels: configuration.levelsUsed, memoryBudgetBytes: budget)
        model = try configuration.makeModel(for: train)
        optimizer = configuration.optimizer.make(parameterCount: model.parameters.count, weightDecay: configuration.weightDecay,
                                                 momentum: configuration.momentum)
        let task = RestorationTask(kind: configuration.task, options: configuration.taskOptions)
        estimator = MultilevelEstimator(model: model, restriction: configuration.restriction,
                                        residual: configuration.addsInputToOutput,
                                        microBatch: configuration.microBatch, seed: configuration.seed)
        source = DatasetExampleSource(dataset: train, task: task, seed: configuration.seed)
        validator = try Validator(dataset: valid, task: task, count: configuration.validationCount, seed: configuration.seed)
        runDirectory = communicator.isRoot ? try RunDirectory(path: configuration.runDirectory)
            : RunDirectory(unverifiedPath: configuration.runDirectory)
        self.communicator = communicator
        levelPlans = schedule.stages.map { LevelPlan($0.plan, rankCount: communicator.size) }
        reduction = StepReduction(parameterCount: model.parameters.count,
                                  maximumTerms: schedule.stages.map(\.plan.terms.count).max()!)
    }

    /// The learning rate of global step `step`.
    public func learningRate(at step: Int) -> Float {
        let c = configuration
        switch c.learningRateSchedule {
        case .constant:
            return c.learningRate
        case .cosine:
            return CosineSchedule(baseLearningRate: c.learningRate, minimumLearningRate: c.minLearningRate,
                                  totalSteps: schedule.totalIterations, warmupSteps: c.warmupSteps).learningRate(at: step)
        case .cosinePerStage:
            let (stage, inStage) = schedule.position(ofStep: step)
            return CosineSchedule(baseLearningRate: c.learningRate, minimumLearningRate: c.minLearningRate,
                                  totalSteps: schedule.stages[stage].iterations,
                                  warmupSteps: min(c.warmupSteps, schedule.stages[stage].iterations - 1)).learningRate(at: inStage)
        case .holdThenCosine:
            let decayStart = schedule.firstStep(ofStage: schedule.stages.count - 1)
            if step < decayStart {
                return step < c.warmupSteps ? c.learningRate * Float(step + 1) / Float(c.warmupSteps) : c.learningRate
            }
            return CosineSchedule(baseLearningRate: c.learningRate, minimumLearningRate: c.minLearningRate,
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
        let stageIndex = schedule.position(ofStep: step).stage
        let measurementWork = try reallocateLevelBatchesIfDue(step: step)
        let plan = schedule.stages[stageIndex].plan
        communicator.step = step
        model.parameters.zeroGradients()
        var terms = plan.terms.map { TermLoss(level: $0.level) }
        for shard in levelPlans[stageIndex].shards(forRank: communicator.rank) {
            let part = try estimator.accumulate(term: plan.terms[shard.term], samples: shard.samples, step: step, source: source)
            terms[shard.term].fineLossSum += part.fineLossSum
            terms[shard.term].coarseLossSum += part.coarseLossSum
            terms[shard.term].count += part.count
        }
        let (reduced, nonFinite, stop) = reduction.reduce(gradients: model.parameters.gradients, terms: terms,
                                                          stopRequested: stopRequest.isRequested, communicator: communicator)
        let rate = learningRate(at: step)
        if !nonFinite {
            optimizer.step(parameters: model.parameters.values, gradients: UnsafeBufferPointer(model.parameters.gradients),
                           learningRate: rate)
        }
        return StepOutcome(terms: reduced, skipped: nonFinite, stopRequested: stop, work: plan.work + measurementWork,
                           learningRate: rate)
    }

    /// Whether every rank holds bitwise the same parameters (one collective; all ranks must call it).
    public func replicasAgree() -> Bool {
        let hash = parameterHash(model.parameters.values)
        return communicator.allreduce(hash, op: .max) == communicator.allreduce(hash, op: .min)
    }

    /// Runs the remaining steps (all of them, or those after a resumed checkpoint), validating
    /// every `validateEvery` steps and at the end. Rank 0 validates, prints and writes
    /// `config.yaml`, `log.jsonl`, `summary.json` and `weights.h5`; every rank returns the
    /// same summary.
    public func run() throws -> TrainingSummary {
        let root = communicator.isRoot
        let log = root ? try JSONLinesWriter(path: runDirectory.file("log.jsonl"), append: progress.nextStep > 0) : nil
        if root { try runDirectory.write(try configuration.yaml(), to: "config.yaml") }
        let input = validator.inputMetrics
        reporter.log(String(format: "validation input (degraded) metrics: PSNR %.2f dB, SSIM %.4f, MSE %.5f",
                            input.psnr, input.ssim, input.mse))
        let start = DispatchTime.now().uptimeNanoseconds
        let (secondsBefore, cpuStart, cpuBefore) = (progress.seconds, processCPUSeconds(), progress.cpuSeconds)
        func elapsed() -> Double { secondsBefore + Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        func cpuElapsed() -> Double { cpuBefore + processCPUSeconds() - cpuStart }
        var previousStage = -1
        let firstStep = progress.nextStep
        var step = firstStep
        while step < schedule.totalIterations {
            defer { step += 1 }
            let (stageIndex, _) = schedule.position(ofStep: step)
            let stage = schedule.stages[stageIndex]
            if stageIndex != previousStage {
                reporter.log("stage \(stageIndex + 1)/\(schedule.stages.count): \(stage.iterations) steps, "
                             + describe(stage.plan, finestSize: source.dataset.height))
                if communicator.size > 1 { reporter.log(levelPlans[stageIndex].description) }
                previousStage = stageIndex
            }
            let outcome = try self.step(step)
            let (terms, skipped) = (outcome.terms, outcome.skipped)
            if skipped {
                progress.skippedSteps += 1
                reporter.log("step \(step): a rank saw a non-finite loss or gradient; every rank skipped the update")
                if configuration.stopOnNonFinite { throw TrainingError.nonFinite(step: step) }
            }
            progress.cumulativeWork += outcome.work
            progress.nextStep = step + 1
            var validation: ValidationMetrics?
            if (step + 1) % configuration.validateEvery == 0 || step == schedule.totalIterations - 1 {
                if root {
                    let metrics = try validator.evaluate(estimator)
                    validation = metrics
                    progress.latestValidation = metrics
                    progress.validationHistory.append(ValidationRecord(step: step, mse: metrics.mse, psnr: metrics.psnr, ssim: metrics.ssim))
                }
                switchStageIfDue(step: step)
            }
            let total = schedule.totalIterations
            let seconds = elapsed()
            progress.seconds = seconds
            progress.cpuSeconds = cpuElapsed()
            if let log {
                let records = terms.enumerated().map { t, term in
                    TermRecord(level: term.level, fine: term.fineLossSum / Double(term.count),
                               coarse: stage.plan.terms[t].isCorrection ? term.coarseLossSum / Double(term.count) : nil,
                               samples: term.count)
                }
                try log.append(StepRecord(step: step, stage: stageIndex, learningRate: outcome.learningRate, loss: records[0].fine,
                                          terms: records, workUnits: outcome.work, cumulativeWorkUnits: progress.cumulativeWork,
                                          seconds: seconds, cpuSeconds: progress.cpuSeconds, skipped: skipped, validation: validation))
                let eta = (seconds - secondsBefore) / Double(step + 1 - firstStep) * Double(total - step - 1)
                var line = String(format: "stage %d/%d  step %d/%d  loss %.5f", stageIndex + 1, schedule.stages.count,
                                  step + 1, total, records[0].fine)
                if let latest = progress.latestValidation { line += String(format: "  valid PSNR %.2f dB", latest.psnr) }
                line += String(format: "  WU %.0f  %@ elapsed, ETA %@", progress.cumulativeWork, formatDuration(seconds), formatDuration(eta))
                reporter.update(line, seconds: seconds, force: validation != nil)
            }
            if outcome.stopRequested {
                reporter.finish()
                let path = try saveCheckpoint()
                throw TrainingInterrupted(step: progress.nextStep, checkpoint: path)
            }
            if configuration.checkpointEvery > 0 && progress.nextStep % configuration.checkpointEvery == 0 && progress.nextStep < total {
                let path = try saveCheckpoint()
                reporter.log("checkpoint \(path)")
            }
        }
        reporter.finish()
        if configuration.checkpointEvery > 0 { try saveCheckpoint() }
        let final = broadcastValidation(progress.latestValidation)
        let summary = TrainingSummary(mode: configuration.mode, steps: schedule.totalIterations, skippedSteps: progress.skippedSteps,
                                      workUnits: progress.cumulativeWork, seconds: elapsed(), cpuSeconds: cpuElapsed(),
                                      validation: final, inputValidation: input)
        if root {
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
        return communicator.isRoot ? try directory.save(self) : runDirectory.file(CheckpointDirectory.fileName(step: progress.nextStep))
    }

    /// Restores a checkpoint on every rank: `path`, or with "auto" the newest usable one in the
    /// run directory. Returns the checkpoint's path, or nil for "auto" in a run directory
    /// without checkpoints (the run starts from step 0).
    @discardableResult
    public func resume(from path: String) throws -> String? {
        if path == "auto" {
            return try CheckpointDirectory(runDirectory: runDirectory, keep: configuration.keepCheckpoints)
                .resumeNewest(self, log: reporter.log)
        }
        try Checkpoint.read(into: self, from: path)
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
