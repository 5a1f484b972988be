import Foundation
import MSData
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
    public var validation: ValidationMetrics
    /// Metrics of the degraded validation inputs themselves.
    public var inputValidation: ValidationMetrics
}

/// Runs one training configuration: step = zero gradients → estimate → check → update.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let schedule: TrainingSchedule
    public let model: Model
    public let optimizer: any Optimizer
    public let estimator: MultilevelEstimator
    public let source: DatasetExampleSource
    public let validator: Validator
    public let runDirectory: RunDirectory
    let reporter: ProgressReporter

    /// Opens the data, builds the model and optimizer and prepares the run directory.
    /// `dataPath` is the resolved dataset file (the configuration's or the built-in default).
    public init(configuration: TrainingConfiguration, dataPath: String, reporter: ProgressReporter) throws {
        try configuration.validate()
        self.configuration = configuration
        self.reporter = reporter
        schedule = try configuration.schedule()
        let budget = configuration.memoryBudgetMB << 20
        let train = try ImageDataset(path: dataPath, split: .train, levels: configuration.levelsUsed, memoryBudgetBytes: budget)
        let valid = try ImageDataset(path: dataPath, split: .valid, levels: configuration.levelsUsed, memoryBudgetBytes: budget)
        var modelConfiguration = try configuration.model
        modelConfiguration.imageChannels = train.channels
        model = try makeModel(modelConfiguration, seed: configuration.seed)
        let coarsest = train.height >> (configuration.levelsUsed - 1)
        guard coarsest % model.totalStride == 0, (train.width >> (configuration.levelsUsed - 1)) % model.totalStride == 0 else {
            throw ConfigurationError.invalid(
                "--levels \(configuration.levelsUsed) makes the coarsest mesh \(coarsest)×\(train.width >> (configuration.levelsUsed - 1)), "
                + "which the \(configuration.network.rawValue) (total stride \(model.totalStride)) cannot take; use fewer levels")
        }
        optimizer = configuration.optimizer.make(parameterCount: model.parameters.count, weightDecay: configuration.weightDecay,
                                                 momentum: configuration.momentum)
        let task = RestorationTask(kind: configuration.task)
        estimator = MultilevelEstimator(model: model, restriction: configuration.restriction,
                                        residual: configuration.task == .superres && configuration.network != .espcn,
                                        microBatch: configuration.microBatch, seed: configuration.seed)
        source = DatasetExampleSource(dataset: train, task: task, seed: configuration.seed)
        validator = try Validator(dataset: valid, task: task, count: configuration.validationCount, seed: configuration.seed)
        runDirectory = try RunDirectory(path: configuration.runDirectory)
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
        }
    }

    /// One optimizer step at global step `step`: returns the term losses and whether the step
    /// was skipped because a loss or gradient was not finite.
    public func step(_ step: Int) throws -> (terms: [TermLoss], skipped: Bool) {
        let plan = schedule.stages[schedule.position(ofStep: step).stage].plan
        model.parameters.zeroGradients()
        let terms = try estimator.estimate(plan: plan, step: step, source: source)
        let finite = terms.allSatisfy { $0.fineLossSum.isFinite && $0.coarseLossSum.isFinite }
            && model.parameters.gradients.allSatisfy { $0.isFinite }
        if finite {
            optimizer.step(parameters: model.parameters.values, gradients: UnsafeBufferPointer(model.parameters.gradients),
                           learningRate: learningRate(at: step))
        }
        return (terms, !finite)
    }

    /// Runs every step, validating every `validateEvery` steps and at the end; writes
    /// `config.yaml`, `log.jsonl`, `summary.json` and `weights.h5` into the run directory.
    public func run() throws -> TrainingSummary {
        try runDirectory.write(try configuration.yaml(), to: "config.yaml")
        let log = try JSONLinesWriter(path: runDirectory.file("log.jsonl"))
        let total = schedule.totalIterations
        let input = validator.inputMetrics
        reporter.log(String(format: "validation input (degraded) metrics: PSNR %.2f dB, SSIM %.4f, MSE %.5f",
                            input.psnr, input.ssim, input.mse))
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var cumulativeWork = 0.0, skipped = 0
        var latest: ValidationMetrics?
        var previousStage = -1
        for step in 0..<total {
            let (stageIndex, _) = schedule.position(ofStep: step)
            let stage = schedule.stages[stageIndex]
            if stageIndex != previousStage {
                reporter.log("stage \(stageIndex + 1)/\(schedule.stages.count): \(stage.iterations) steps, "
                             + describe(stage.plan, finestSize: source.dataset.height))
                previousStage = stageIndex
            }
            let (terms, wasSkipped) = try self.step(step)
            if wasSkipped {
                skipped += 1
                reporter.log("step \(step): non-finite loss or gradient; the update was skipped")
            }
            cumulativeWork += stage.plan.work
            let isLast = step == total - 1
            var validation: ValidationMetrics?
            if (step + 1) % configuration.validateEvery == 0 || isLast {
                validation = try validator.evaluate(estimator)
                latest = validation
            }
            let records = terms.map { t in
                TermRecord(level: t.level, fine: t.fineLossSum / Double(t.count),
                           coarse: stage.plan.terms.first { $0.level == t.level }!.isCorrection ? t.coarseLossSum / Double(t.count) : nil,
                           samples: t.count)
            }
            let seconds = elapsed()
            try log.append(StepRecord(step: step, stage: stageIndex, learningRate: learningRate(at: step), loss: records[0].fine,
                                      terms: records, workUnits: stage.plan.work, cumulativeWorkUnits: cumulativeWork,
                                      seconds: seconds, skipped: wasSkipped, validation: validation))
            let eta = seconds / Double(step + 1) * Double(total - step - 1)
            var line = String(format: "stage %d/%d  step %d/%d  loss %.5f", stageIndex + 1, schedule.stages.count,
                              step + 1, total, records[0].fine)
            if let latest { line += String(format: "  valid PSNR %.2f dB", latest.psnr) }
            line += String(format: "  WU %.0f  %@ elapsed, ETA %@", cumulativeWork, formatDuration(seconds), formatDuration(eta))
            reporter.update(line, seconds: seconds, force: validation != nil)
        }
        reporter.finish()
        let summary = TrainingSummary(mode: configuration.mode, steps: total, skippedSteps: skipped, workUnits: cumulativeWork,
                                      seconds: elapsed(), validation: latest!, inputValidation: input)
        try WeightsFile.write(model, configuration: configuration, to: runDirectory.file("weights.h5"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try runDirectory.write(String(decoding: try encoder.encode(summary), as: UTF8.self), to: "summary.json")
        return summary
    }

    /// "levels 64², 32² with batches 16, 16" for a plan on data of side `finestSize`.
    func describe(_ plan: EstimatorPlan, finestSize: Int) -> String {
        let sizes = (plan.finestLevel...plan.coarsestLevel).map { "\(finestSize >> $0)²" }
        let batches = plan.terms.map { "\($0.batchSize)" }
        return "meshes \(sizes.joined(separator: ", ")), batch per term \(batches.joined(separator: ", ")), "
            + String(format: "%.2f WU per step", plan.work)
    }
}
