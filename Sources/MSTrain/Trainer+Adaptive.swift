#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MSDistributed
import MSMultiscale

/// The decisions that change the schedule during a run: adaptive level batches and adaptive
/// stage switches. Both are made identically on every rank: the batches from a measurement
/// that every rank repeats on the same parameters and samples, the stage switch from rank 0's
/// validation, broadcast.
extension Trainer {
    /// Measurements of level variances use the samples of steps from here on, which no training
    /// step uses.
    static let measurementStepBase = 1 << 40

    /// With `--level-batches adaptive`, at every `levelBatchesEvery`-th step of a stage with
    /// more than one term: measures the terms' per-sample variances with the current parameters
    /// and reallocates the stage's batches at the same work per step (`LevelBatchAllocator`).
    /// Returns the work units the measurement spent (0 when it is not due).
    func reallocateLevelBatchesIfDue(step: Int) throws -> Double {
        let (stageIndex, inStage) = state.schedule.position(ofStep: step)
        let plan = state.schedule.stages[stageIndex].plan
        let samples = configuration.levelBatchesSamples
        guard configuration.adaptiveLevelBatches, plan.terms.count > 1, inStage % configuration.levelBatchesEvery == 0 else { return 0 }
        let diagnosis = try measureLevels(of: plan, samples: samples, firstStep: Trainer.measurementStepBase + step * samples)
        let measured = diagnosis.levels.map(\.variance)
        let previous = state.schedule.stages[stageIndex].smoothedVariances
        let variances = LevelBatchAllocator.smoothed(previous: previous, measured: measured)
        let reallocated = LevelBatchAllocator.reallocate(plan, variances: variances)
        state.schedule.stages[stageIndex].plan = reallocated
        state.schedule.stages[stageIndex].smoothedVariances = variances
        func list(_ values: [Double]) -> String { values.map { String(format: "%.3g", $0) }.joined(separator: ", ") }
        reporter.log("step \(step): level batches \(reallocated.terms.map(\.batchSize)) from variances \(list(variances))"
                     + (previous == nil ? "" : " (measured \(list(measured)), smoothed with the earlier estimates)"))
        return Double(samples) * plan.terms.reduce(0) { $0 + $1.workPerSample }
    }

    /// With `--stage-switch adaptive`, after the validation of `step` (every rank calls it):
    /// rank 0 applies the `StageSwitchRule` to its validation history and broadcasts the
    /// decision; on an end, every rank shortens the current stage to end after `step`.
    func switchStageIfDue(step: Int) {
        guard configuration.stageSwitch == .adaptive else { return }
        let (stageIndex, inStage) = state.schedule.position(ofStep: step)
        guard stageIndex < state.schedule.stages.count - 1, inStage + 1 < state.schedule.stages[stageIndex].iterations else { return }
        let rule = StageSwitchRule(thresholdPerKiloWork: configuration.stageSwitchThreshold)
        var decision: [Float] = [0]
        if communicator.isRoot {
            let points = state.progress.validationHistory.map { StageSwitchRule.Point(step: $0.step, psnr: $0.psnr) }
            decision[0] = rule.shouldEndStage(stageIndex, of: state.schedule, validations: points) ? 1 : 0
        }
        decision.withUnsafeMutableBufferPointer { communicator.broadcast($0, root: 0) }
        guard decision[0] > 0 else { return }
        state.schedule.endStage(stageIndex, afterIterations: inStage + 1)
        reporter.log(String(format: "step %d: stage %d ends (validation gain below %g dB per 1000 WU)",
                            step, stageIndex + 1, configuration.stageSwitchThreshold))
    }
}

/// CPU seconds this process has used, all threads together.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
