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
/// batch at which noise and curvature limit a step about equally: with a batch well below `B`
/// a step's progress grows nearly in proportion to its batch (noise-limited: averaging more
/// samples, or cheaper variance, pays); well above `B` it hardly grows (step-limited: more,
/// cheaper steps pay, as coarse stages and progressive resizing give).
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

    /// The training mode these statistics favour at a fine-mesh batch of `batch` samples:
    /// - step-limited (`batch ≥ B`): more samples per step barely help, so neither a larger
    ///   batch nor MGE's cheaper variance will; cheap coarse steps will (progressive resizing,
    ///   Full-Multiscale);
    /// - noise-limited (`batch < B`) with a predicted saving above 1: MGE;
    /// - noise-limited without a saving: single-scale, with a larger batch.
    /// Nil unless the fine gradient was measured.
    public func favouredMode(batch: Int) -> (mode: TrainingMode, reason: String)? {
        guard let noise = noiseScale, let saving = predictedSaving else { return nil }
        if Double(batch) >= noise {
            return (.progressive, String(format: "batch %d is at or above the gradient noise scale %.3g: steps are limited by "
                                         + "curvature, not noise, so cheap coarse steps pay and variance reduction does not", batch, noise))
        }
        if saving > 1 {
            return (.multiscale, String(format: "batch %d is below the gradient noise scale %.3g (noise-limited) and the "
                                        + "corrections cost %.2g× less per unit of variance than the fine gradient", batch, noise, saving))
        }
        return (.single, String(format: "batch %d is below the gradient noise scale %.3g (noise-limited) but the corrections cost "
                                + "%.2g× more per unit of variance than the fine gradient: raise the single-scale batch instead",
                                batch, noise, 1 / saving))
    }

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
