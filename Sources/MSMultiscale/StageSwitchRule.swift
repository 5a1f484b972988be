/// Adaptive Full-Multiscale stage lengths, in the spirit of full multigrid (our choice, beyond
/// the paper): a stage ends as soon as training on its mesh stops paying, instead of after a
/// fixed number of steps.
///
/// At each validation inside a stage that is not the last, for two consecutive validations at
/// steps `s_a < s_b` (finest-mesh PSNR `p_a`, `p_b`) and `w` work units per step, the gain per
/// work unit is
///
///     rate = (p_b − p_a) / ((s_b − s_a) · w)
///
/// and the stage ends when `rate · 1000 < thresholdPerKiloWork` (dB per 1000 WU) for the last
/// two such pairs: one flat pair is often validation noise, two in a row a plateau. Only
/// validations inside the stage count, so a stage runs at least three validation intervals;
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
        guard inStage.count >= 3 else { return false }
        let work = schedule.stages[stage].plan.work
        func slow(_ a: Point, _ b: Point) -> Bool { (b.psnr - a.psnr) / (Double(b.step - a.step) * work) * 1000 < thresholdPerKiloWork }
        let n = inStage.count
        return slow(inStage[n - 3], inStage[n - 2]) && slow(inStage[n - 2], inStage[n - 1])
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
