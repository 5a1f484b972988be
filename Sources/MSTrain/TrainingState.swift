import MSMultiscale
import MSNN
import MSOptim

/// Everything a run's continuation depends on, in one value: the parameters, the optimizer
/// with its state buffers and step count, the schedule as decided so far (adaptive level
/// batches and stage switches change it) and the progress. A checkpoint writes exactly this
/// and restores exactly this (`Checkpoint`); the trainer steps it.
///
/// `parameters` and `optimizer` are shared objects: the model's layers read the parameters
/// in place, so the state refers to them rather than copying them.
public struct TrainingState {
    /// Every parameter of the model, `[P]`, with its gradient buffer.
    public let parameters: ParameterStore
    /// The optimizer; its `state` buffers are `[P]` each.
    public let optimizer: any Optimizer
    /// The stages of the run.
    public internal(set) var schedule: TrainingSchedule
    /// Where the run stands between steps.
    public internal(set) var progress = TrainingProgress()

    public init(parameters: ParameterStore, optimizer: any Optimizer, schedule: TrainingSchedule) {
        self.parameters = parameters
        self.optimizer = optimizer
        self.schedule = schedule
    }

    /// The stage of the next step, and the next step's index inside it (the last step's
    /// position once the run is complete).
    public var position: (stage: Int, stepInStage: Int) {
        schedule.position(ofStep: min(progress.nextStep, schedule.totalIterations - 1))
    }

    /// Whether every step of the schedule has run.
    public var isComplete: Bool { progress.nextStep >= schedule.totalIterations }
}

/// Where a run stands between steps: everything besides the parameters, optimizer and
/// schedule that a resumed run needs to continue exactly.
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
