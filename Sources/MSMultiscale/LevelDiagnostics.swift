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

/// Decay rates and batch advice from `LevelStatistics`.
///
/// With level 0 the finest mesh, a convergent hierarchy has correction variances that shrink
/// toward the fine mesh, `V_ℓ ∝ 2^(β·ℓ)`, while the cost per sample grows, `C_ℓ ∝ 2^(−γ·ℓ)`
/// (γ = 2 in 2-D). Multilevel estimation saves work when β > γ (Giles 2008); when β < γ the
/// fine corrections cost more than they save.
public struct LevelDiagnosis: Sendable {
    public let levels: [LevelStatistics]
    /// Least-squares slope of log2 V_ℓ against ℓ over the correction terms.
    public let beta: Double
    /// Minus the least-squares slope of log2 C_ℓ against ℓ over all terms.
    public let gamma: Double

    public init(levels: [LevelStatistics]) {
        precondition(!levels.isEmpty, "LevelDiagnosis needs at least one level")
        self.levels = levels
        let corrections = levels.filter(\.isCorrection)
        beta = LevelDiagnosis.slope(corrections.map { (Double($0.level), log2(max($0.variance, 1e-300))) })
        gamma = -LevelDiagnosis.slope(levels.map { (Double($0.level), log2(max($0.cost, 1e-300))) })
    }

    /// Whether the measured rates say multilevel estimation pays (β > γ).
    public var multilevelPays: Bool { beta > gamma }

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
