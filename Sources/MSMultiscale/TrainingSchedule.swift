/// How a run spends its iterations.
public enum TrainingMode: String, CaseIterable, Sendable, Codable {
    /// Plain minibatch SGD on the finest mesh.
    case single
    /// Multilevel gradient estimation (MGE) on all levels at every step.
    case multiscale
    /// Coarse-to-fine stages, each an MGE over the levels from its working mesh down
    /// (docs/method.md section 3).
    case fullMultiscale = "full-multiscale"
    /// Progressive resizing: the stages of Full-Multiscale (same meshes, batches and
    /// iterations), each plain SGD at its working mesh, without the MGE corrections.
    case progressive
}

/// One stage of a schedule: `iterations` optimizer steps, each estimating `plan`.
public struct Stage: Hashable, Sendable, Codable {
    public var plan: EstimatorPlan
    public var iterations: Int
    /// With adaptive level batches: the smoothed per-sample variances of the plan's terms that
    /// set its batches (`LevelBatchAllocator.smoothed`), carried to the next measurement (and
    /// through checkpoints); nil before the first.
    public var smoothedVariances: [Double]?

    public init(plan: EstimatorPlan, iterations: Int) {
        precondition(iterations > 0, "Stage needs a positive iteration count")
        self.plan = plan
        self.iterations = iterations
    }

    /// Work units of the whole stage.
    public var work: Double { Double(iterations) * plan.work }
}

/// The stages of a run, in order. Steps are numbered globally from 0 across stages.
public struct TrainingSchedule: Hashable, Sendable, Codable {
    public var stages: [Stage]

    public init(stages: [Stage]) {
        precondition(!stages.isEmpty, "TrainingSchedule needs at least one stage")
        self.stages = stages
    }

    public var totalIterations: Int { stages.reduce(0) { $0 + $1.iterations } }
    public var totalWork: Double { stages.reduce(0) { $0 + $1.work } }

    /// The stage that global step `step` belongs to, and the step's index inside it.
    public func position(ofStep step: Int) -> (stage: Int, stepInStage: Int) {
        precondition(step >= 0 && step < totalIterations, "step \(step) outside 0..<\(totalIterations)")
        var remaining = step
        for (i, stage) in stages.enumerated() {
            if remaining < stage.iterations { return (i, remaining) }
            remaining -= stage.iterations
        }
        preconditionFailure("unreachable")
    }

    /// The first global step of stage `index`.
    public func firstStep(ofStage index: Int) -> Int {
        stages[..<index].reduce(0) { $0 + $1.iterations }
    }

    /// Single-scale SGD: `iterations` steps of `batchSize` samples at the finest mesh.
    public static func single(batchSize: Int, iterations: Int) -> TrainingSchedule {
        TrainingSchedule(stages: [Stage(plan: .singleScale(batchSize: batchSize), iterations: iterations)])
    }

    /// MGE at every step with per-level batches `batches` (finest first).
    public static func multiscale(batches: [Int], iterations: Int) -> TrainingSchedule {
        TrainingSchedule(stages: [Stage(plan: .multilevel(batches: batches), iterations: iterations)])
    }

    /// Full-Multiscale with `levels` stages. Stage `k` (coarsest first) works on level
    /// `f = levels−1−k` and estimates MGE over levels `f … levels−1`; its finest level gets
    /// `stageBatches[k]` samples and level `f+j` gets `stageBatches[k]·levelRatio^j`; it runs
    /// `stageIterations[k]` steps.
    public static func fullMultiscale(stageBatches: [Int], stageIterations: [Int], levelRatio: Int = 1) -> TrainingSchedule {
        precondition(stageBatches.count == stageIterations.count && !stageBatches.isEmpty,
                     "fullMultiscale: \(stageBatches.count) stage batches for \(stageIterations.count) stages")
        let levels = stageBatches.count
        return TrainingSchedule(stages: (0..<levels).map { k in
            let finest = levels - 1 - k
            let batches = EstimatorPlan.geometricBatches(finest: stageBatches[k], ratio: levelRatio, levels: k + 1)
            return Stage(plan: .multilevel(finestLevel: finest, batches: batches), iterations: stageIterations[k])
        })
    }

    /// Progressive resizing with the stages of `fullMultiscale`: each stage keeps its
    /// iterations and its finest level's batch, but estimates plain SGD at its working mesh
    /// (one term, L = 1) instead of MGE down to the coarsest mesh.
    public static func progressiveResizing(_ fullMultiscale: TrainingSchedule) -> TrainingSchedule {
        TrainingSchedule(stages: fullMultiscale.stages.map { stage in
            let finest = stage.plan.terms[0]
            return Stage(plan: .singleScale(level: finest.level, batchSize: finest.batchSize), iterations: stage.iterations)
        })
    }

    /// The table of docs/method.md section 3 generalised: with `levels` stages, stage `k` uses
    /// batch `N·b^(levels−1−k)` per level and `T·q^(levels−1−k)` iterations (b = q = 2 by default).
    public static func fullMultiscale(levels: Int, batchSize: Int, iterations: Int,
                                      batchRatio: Int = 2, iterationRatio: Int = 2, levelRatio: Int = 1) -> TrainingSchedule {
        func power(_ base: Int, _ exponent: Int) -> Int { (0..<exponent).reduce(1) { r, _ in r * base } }
        return fullMultiscale(
            stageBatches: (0..<levels).map { batchSize * power(batchRatio, levels - 1 - $0) },
            stageIterations: (0..<levels).map { iterations * power(iterationRatio, levels - 1 - $0) },
            levelRatio: levelRatio)
    }
}
