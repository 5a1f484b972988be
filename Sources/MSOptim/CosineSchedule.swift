import Foundation

/// A cosine-annealed learning rate with optional linear warmup.
///
/// Over the first `warmupSteps` steps the rate rises linearly, lr(s) = base·(s + 1)/warmup, so
/// the last warmup step reaches `base`. After that it follows torch's `CosineAnnealingLR`
/// closed form over the remaining T = totalSteps − warmupSteps steps:
///
///     lr(s) = η_min + (base − η_min)·(1 + cos(π·u/T))/2,   u = min(s, totalSteps) − warmupSteps
///
/// so it reaches η_min at `totalSteps` and stays there (torch would rise again). With no warmup
/// this is `CosineAnnealingLR(T_max: totalSteps, eta_min: η_min)` at epoch `s`.
public struct CosineSchedule: Sendable {
    public let baseLearningRate: Float
    public let minimumLearningRate: Float
    public let totalSteps: Int
    public let warmupSteps: Int

    public init(baseLearningRate: Float, minimumLearningRate: Float, totalSteps: Int, warmupSteps: Int = 0) {
        precondition(warmupSteps >= 0 && warmupSteps < totalSteps,
                     "CosineSchedule: need 0 ≤ warmupSteps (\(warmupSteps)) < totalSteps (\(totalSteps))")
        self.baseLearningRate = baseLearningRate
        self.minimumLearningRate = minimumLearningRate
        self.totalSteps = totalSteps
        self.warmupSteps = warmupSteps
    }

    /// The learning rate for step `step` (from 0), computed in `Double`.
    public func learningRate(at step: Int) -> Float {
        precondition(step >= 0, "CosineSchedule: negative step \(step)")
        let base = Double(baseLearningRate), minimum = Double(minimumLearningRate)
        if step < warmupSteps { return Float(base * Double(step + 1) / Double(warmupSteps)) }
        let progress = Double(min(step, totalSteps) - warmupSteps) / Double(totalSteps - warmupSteps)
        return Float(minimum + (base - minimum) * (1 + cos(Double.pi * progress)) / 2)
    }
}
