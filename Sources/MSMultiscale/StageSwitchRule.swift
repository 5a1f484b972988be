/// Adaptive Full-Multiscale stage lengths, in the spirit of full multigrid (our choice, beyond
/// the paper): a stage ends as soon as training on its mesh stops paying, instead of after a
/// fixed number of steps.
///
/// At each validation inside a stage that is not the last, with the stage's two latest
/// validations at steps `s_a < s_b` (finest-mesh PSNR `p_a`, `p_b`) and `w` work units per step,
/// the gain per work unit is
///
///     rate = (p_b − p_a) / ((s_b − s_a) · w)
///
/// and the stage ends after `s_b` when `rate · 1000 < thresholdPerKiloWork` (dB per 1000 WU).
/// Only validations inside the stage count, so a stage runs at least two validation intervals;
/// its scheduled iterations stay the upper bound.
public struct StageSwitchRule: Hashable, Sendable {
    /// The smallest validation gain, in dB per 1000 work units, that keeps a stage going.
    public var thresholdPerKiloWork: Double

    public init(thresholdPerKiloWork: Double) {
        self.thresholdPerKiloWork = thresholdPerKiloWork
    }

    /// One validation: the global step after which it ran and its PSNR in dB.
    public struct Point: Hashable, Sendable {
        public var step: Int
        public var psnr: Double
        public init(step: Int, psnr: Double) { (self.step, self.psnr) = (step, psnr) }
    }

    /// Whether stage `stage` of `schedule` should end after the latest of `validations` (the
    /// run's validations so far, oldest first, the latest one at the current step).
    public func shouldEndStage(_ stage: Int, of schedule: TrainingSchedule, validations: [Point]) -> Bool {
        guard stage < schedule.stages.count - 1 else { return false }
        let first = schedule.firstStep(ofStage: stage)
        let inStage = validations.filter { $0.step >= first }
        guard inStage.count >= 2 else { return false }
        let (a, b) = (inStage[inStage.count - 2], inStage[inStage.count - 1])
        let work = Double(b.step - a.step) * schedule.stages[stage].plan.work
        return (b.psnr - a.psnr) / work * 1000 < thresholdPerKiloWork
    }
}

extension TrainingSchedule {
    /// Ends stage `index` after `iterations` of its steps (at most its scheduled count); the
    /// later stages keep theirs.
    public mutating func endStage(_ index: Int, afterIterations iterations: Int) {
        precondition(iterations >= 1 && iterations <= stages[index].iterations,
                     "endStage: \(iterations) iterations outside 1...\(stages[index].iterations)")
        stages[index].iterations = iterations
    }
}
