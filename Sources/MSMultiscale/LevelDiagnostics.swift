/// Measured statistics of the multilevel terms (docs/method.md sections 2 and 5) and what they
/// imply for the batches.
///
/// For each level ℓ: the per-sample term `d_s` is the correction `∇ℓ_ℓ(s) − ∇ℓ_{ℓ+1}(s)`
/// (the plain gradient at the coarsest level), `meanNorm = ‖mean_s d_s‖`,
/// `variance = Σ_s ‖d_s − mean‖² / (M − 1)` (the trace of the covariance, the variance of a
/// one-sample estimate), and `cost` the measured seconds per sample.
public struct LevelStatistics: Hashable, Sendable, Codable {
    public var level: Int
    public var isCorrection: Bool
    public var meanNorm: Double
    public var variance: Double
    public var cost: Double

    public init(level: Int, isCorrection: Bool, meanNorm: Double, variance: Double, cost: Double) {
        self.level = level
        self.isCorrection = isCorrection
        self.meanNorm = meanNorm
        self.variance = variance
        self.cost = cost
    }
}

/// What `LevelStatistics` say about multilevel estimation and batches.
///
/// With level 0 the finest mesh, write `V_ℓ` for the per-sample variance of term ℓ and `C_ℓ`
/// for its cost per sample. At the cost-optimal batches `N_ℓ ∝ sqrt(V_ℓ/C_ℓ)`, the multilevel
/// estimator reaches a variance ε² for a cost of `(Σ_ℓ sqrt(V_ℓ·C_ℓ))² / ε²`, against
/// `V·C_0 / ε²` for the plain fine-mesh gradient, whose per-sample variance is `V` (Giles
/// 2008). Their ratio, over the levels actually measured, is the predicted saving; the fitted
/// rates (`V_ℓ ∝ 2^(β·ℓ)` toward the coarse mesh, `C_ℓ ∝ 2^(−γ·ℓ)`, multilevel estimation
/// paying asymptotically when β > γ) are reported beside it but do not decide, since with two
/// or three levels the constants matter as much as the rates.
///
/// Variance reduction helps only while training is limited by gradient noise. The simple
/// gradient noise scale `B = V / |G|²` (McCandlish et al. 2018, "An Empirical Model of
/// Large-Batch Training"), with `|G|²` the squared norm of the expected fine gradient, is the
/// batch at which noise and curvature limit a step about equally. In that model a run at
/// batch `b` needs `S_min(1 + B/b)` steps, so its CPU cost grows as `C_0·(b + B)`, and MGE's
/// as its step cost times `1 + (Σ_ℓ V_ℓ/N_ℓ)/|G|²`; `predictedFastest` compares them over a
/// range of batches. Coarse stages (progressive resizing, Full-Multiscale) are biased instead:
/// they pay when the coarse gradient is close to the fine one (`coarseBias`).
public struct LevelDiagnosis: Sendable {
    public let levels: [LevelStatistics]
    /// The plain gradient at the finest mesh, when measured (`V`, `|G|` and `C_0` above).
    public let fineGradient: LevelStatistics?
    /// Samples behind each statistic.
    public let samples: Int
    /// Least-squares slope of log2 V_ℓ against ℓ over the correction terms.
    public let beta: Double
    /// Minus the least-squares slope of log2 C_ℓ against ℓ over all terms.
    public let gamma: Double

    public init(levels: [LevelStatistics], fineGradient: LevelStatistics? = nil, samples: Int = 0) {
        precondition(!levels.isEmpty, "LevelDiagnosis needs at least one level")
        self.levels = levels
        self.fineGradient = fineGradient
        self.samples = samples
        let corrections = levels.filter(\.isCorrection)
        beta = LevelDiagnosis.slope(corrections.map { (Double($0.level), log2(max($0.variance, 1e-300))) })
        gamma = -LevelDiagnosis.slope(levels.map { (Double($0.level), log2(max($0.cost, 1e-300))) })
    }

    /// `(Σ_ℓ sqrt(V_ℓ·C_ℓ))²`: the multilevel estimator's cost per unit of variance at the
    /// optimal batches.
    public var multilevelCost: Double {
        let sum = levels.reduce(0) { $0 + ($1.variance * $1.cost).squareRoot() }
        return sum * sum
    }

    /// `V·C_0`: the plain fine-mesh gradient's cost per unit of variance (nil unless measured).
    public var singleLevelCost: Double? { fineGradient.map { $0.variance * $0.cost } }

    /// How many times less the multilevel estimator costs per unit of variance than the plain
    /// fine-mesh gradient (below 1: more); nil unless the fine gradient was measured.
    public var predictedSaving: Double? { singleLevelCost.map { $0 / max(multilevelCost, 1e-300) } }

    /// Whether multilevel estimation pays: a predicted saving above 1, or without the fine
    /// gradient's measurement, β > γ.
    public var multilevelPays: Bool { predictedSaving.map { $0 > 1 } ?? (beta > gamma) }

    /// `B = V / |G|²`, with `|G|² = |mean|² − V/M` (the mean of M samples overestimates the
    /// squared norm by V/M); infinite when the noise swamps the mean, nil unless the fine
    /// gradient was measured on at least 2 samples.
    public var noiseScale: Double? {
        guard let fine = fineGradient, samples >= 2 else { return nil }
        let signal = fine.meanNorm * fine.meanNorm - fine.variance / Double(samples)
        return signal > 0 ? fine.variance / signal : .infinity
    }

    /// `ρ = |E(∇ℓ_0 − ∇ℓ_1)| / |E ∇ℓ_0|`: how far the next-coarser mesh's expected gradient is
    /// from the fine one, relative to the fine one (the mean correction of level 0 against the
    /// fine gradient, both squared norms less their noise, `V_0/M` and `V/M`). Below 1 a
    /// coarse step descends the fine loss (`⟨G_1, G_0⟩ ≥ (1 − ρ)|G_0|²`); near 0 a coarse step
    /// is a fine step at a fraction of the cost. Nil unless the fine gradient and a level-0
    /// correction were measured; infinite when the fine gradient's mean is within its noise.
    public var coarseBias: Double? {
        guard let fine = fineGradient, let correction = levels.first, correction.isCorrection, samples >= 2 else { return nil }
        let m = Double(samples)
        let bias = max(0, correction.meanNorm * correction.meanNorm - correction.variance / m)
        let signal = fine.meanNorm * fine.meanNorm - fine.variance / m
        return signal > 0 ? (bias / signal).squareRoot() : .infinity
    }

    /// The largest `coarseBias` at which coarse stages are predicted to pay. On the ten
    /// configurations of docs/results.md measured against tuned or longer single-scale, progressive
    /// resizing trained fastest wherever the bias was at most 0.25 and single-scale wherever it
    /// was 0.48 or more; the limit lies between them (it was 0.25, set on the first five, until
    /// a configuration with a bias of 0.250 trained fastest with progressive resizing).
    public static let transferLimit = 0.35

    /// The modelled cost of single-scale training at batch `b`, in fine-sample seconds per
    /// unit of the minimal number of steps (McCandlish et al. 2018: steps `S = S_min(1 + B/b)`,
    /// each costing `b·C_0`): `C_0·(b + B)`. Nil unless the fine gradient was measured.
    public func modelledSingleCost(batch: Int) -> Double? {
        guard let fine = fineGradient, let noise = noiseScale, noise.isFinite else { return nil }
        return fine.cost * (Double(batch) + noise)
    }

    /// The modelled cost of MGE at level batches `batches` (one per level, finest first):
    /// steps `S_min(1 + Σ_ℓ V_ℓ/N_ℓ / |G|²)`, each costing `Σ_ℓ N_ℓ·C_ℓ`. Nil unless the fine
    /// gradient was measured.
    public func modelledMultilevelCost(batches: [Int]) -> Double? {
        precondition(batches.count == levels.count && batches.allSatisfy { $0 >= 1 }, "one batch of at least 1 per level")
        guard let fine = fineGradient, let noise = noiseScale, noise.isFinite else { return nil }
        let signal = fine.variance / noise
        let stepCost = zip(levels, batches).reduce(0) { $0 + Double($1.1) * $1.0.cost }
        let stepVariance = zip(levels, batches).reduce(0) { $0 + $1.0.variance / Double($1.1) }
        return stepCost * (1 + stepVariance / signal)
    }

    /// The coarser levels' batches that minimise `modelledMultilevelCost` with `N_0 =
    /// finestBatch`, each searched over the powers of two up to `2^maxCoarseBatchLog2` (the
    /// variance-optimal `recommendedBatches` overspend on coarse samples when the finest batch
    /// is small, since the steps' number, not only their variance, costs). Nil unless the fine
    /// gradient was measured.
    public func bestMultilevelBatches(finestBatch: Int) -> (batches: [Int], cost: Double)? {
        let choices = (0...LevelDiagnosis.maxCoarseBatchLog2).map { 1 << $0 }
        var best: (batches: [Int], cost: Double)?
        func search(_ prefix: [Int]) {
            guard prefix.count < levels.count else {
                if let cost = modelledMultilevelCost(batches: prefix), cost < best?.cost ?? .infinity { best = (prefix, cost) }
                return
            }
            for n in choices { search(prefix + [n]) }
        }
        search([finestBatch])
        return best
    }

    /// The coarser levels' batches `bestMultilevelBatches` tries: 1, 2, 4, … 2^10.
    public static let maxCoarseBatchLog2 = 10

    /// The mode predicted to reach a given quality in the least CPU time, searched over the
    /// batches `candidates`:
    /// 1. `coarseBias ≤ transferLimit`: coarse steps make nearly a fine step's progress at a
    ///    fraction of its cost, so coarse stages pay: progressive resizing;
    /// 2. otherwise coarse stages train a different problem, and only the unbiased MGE can use
    ///    the coarse meshes: MGE when its modelled cost at its best level batches
    ///    (`bestMultilevelBatches`, `N_0` among `candidates`) is below single-scale's at its
    ///    best batch, else single-scale at that batch.
    /// Nil unless the fine gradient was measured with a finite noise scale.
    public func predictedFastest(candidates: [Int] = LevelDiagnosis.candidateBatches)
        -> (mode: TrainingMode, batch: Int, reason: String)? {
        guard let bias = coarseBias, !candidates.isEmpty,
              let single = candidates.compactMap({ b in modelledSingleCost(batch: b).map { (b, $0) } }).min(by: { $0.1 < $1.1 }),
              let multilevel = candidates.compactMap({ b in bestMultilevelBatches(finestBatch: b) })
                .min(by: { $0.cost < $1.cost }) else { return nil }
        if bias <= LevelDiagnosis.transferLimit {
            return (.progressive, single.0, String(format: "the next-coarser mesh's gradient is within %.2f of the fine gradient's norm "
                                                   + "(at most %.2f): coarse steps make nearly a fine step's progress for a fraction of "
                                                   + "its cost", bias, LevelDiagnosis.transferLimit))
        }
        let differs = String(format: "the next-coarser mesh's gradient differs from the fine one by %.2f of its norm (above %.2f), "
                             + "so coarse stages train another problem; ", bias, LevelDiagnosis.transferLimit)
        let levelBatches = multilevel.batches.map(String.init).joined(separator: ", ")
        if multilevel.cost < single.1 {
            return (.multiscale, multilevel.batches[0], differs + String(format: "MGE at level batches %@ is modelled %.2f× cheaper "
                                                                        + "than single-scale at batch %d", levelBatches,
                                                                        single.1 / multilevel.cost, single.0))
        }
        return (.single, single.0, differs + String(format: "single-scale at batch %d is modelled %.2f× cheaper than MGE at its "
                                                    + "best level batches %@", single.0, multilevel.cost / single.1, levelBatches))
    }

    /// The batches `predictedFastest` searches by default.
    public static let candidateBatches = [1, 2, 4, 8, 16, 32]

    /// Cost-optimal batches for a fixed total variance, `N_ℓ ∝ sqrt(V_ℓ / C_ℓ)` (Giles 2008),
    /// scaled so that the finest level gets `finestBatch`; every level gets at least one sample.
    public func recommendedBatches(finestBatch: Int) -> [Int] {
        LevelDiagnosis.optimalBatches(variances: levels.map(\.variance), costs: levels.map(\.cost), finestBatch: finestBatch)
    }

    /// `N_ℓ ∝ sqrt(V_ℓ / C_ℓ)` with `N_0 = finestBatch`, rounded, at least 1.
    public static func optimalBatches(variances: [Double], costs: [Double], finestBatch: Int) -> [Int] {
        precondition(variances.count == costs.count && !variances.isEmpty, "optimalBatches: one variance and cost per level")
        let weights = zip(variances, costs).map { ($0 / max($1, 1e-300)).squareRoot() }
        let scale = Double(finestBatch) / max(weights[0], 1e-300)
        return weights.map { max(1, Int(($0 * scale).rounded())) }
    }

    /// Least-squares slope of y on x; 0 with fewer than two points.
    static func slope(_ points: [(Double, Double)]) -> Double {
        guard points.count >= 2 else { return 0 }
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.0 } / n, my = points.reduce(0) { $0 + $1.1 } / n
        let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        return sxx > 0 ? sxy / sxx : 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
