/// Adaptive level batches (docs/method.md section 2, rule 6; Giles, Operations Research 56, 2008).
///
/// With `V_ℓ` the per-sample variance of term ℓ and `C_ℓ` the modelled work of one of its
/// samples (`EstimatorTerm.workPerSample`: fine plus coarse evaluation, `4^−ℓ` each), the
/// variance of the estimate, `Σ_ℓ V_ℓ / N_ℓ`, is smallest for a fixed work per step
/// `W = Σ_ℓ N_ℓ·C_ℓ` at
///
///     N_ℓ = W · sqrt(V_ℓ / C_ℓ) / Σ_k sqrt(V_k · C_k)
///
/// (a Lagrange multiplier argument). Batches are rounded to the nearest integer, at least 1.
/// The cost is modelled, never timed, so every process computes the same batches.
public enum LevelBatchAllocator {
    /// Batches for `variances` and `costs` (one per term, finest first) that spend `work`
    /// work units per step. With no positive variance the work is spread evenly over the terms.
    public static func batches(variances: [Double], costs: [Double], work: Double) -> [Int] {
        precondition(variances.count == costs.count && !variances.isEmpty && costs.allSatisfy { $0 > 0 },
                     "LevelBatchAllocator: \(variances.count) variances for \(costs.count) positive costs")
        let positive = variances.contains { $0 > 0 }
        let weights = zip(variances, costs).map { positive ? (max($0, 0) / $1).squareRoot() : 1 / $1 }
        let normaliser = zip(weights, costs).reduce(0) { $0 + $1.0 * $1.1 }
        return weights.map { max(1, Int((work * $0 / normaliser).rounded())) }
    }

    /// The variance estimates to allocate with after a new measurement: the geometric mean of
    /// the previous estimate and the new one, term by term (the new one alone at first).
    ///
    /// A variance measured on a few samples is noisy and heavy-tailed (one sample with a large
    /// gradient dominates it): successive measurements of the same term were seen to jump 30×.
    /// Averaging the logarithms weighs the measurements geometrically (½, ¼, ⅛, … from the
    /// newest), so such a jump moves the estimate by its square root and the batches, which go
    /// as `sqrt(V)`, by its fourth root, while a lasting change is followed within a few
    /// measurements.
    public static func smoothed(previous: [Double]?, measured: [Double]) -> [Double] {
        guard let previous, previous.count == measured.count else { return measured }
        return zip(previous, measured).map { old, new in
            old > 0 && new > 0 ? (old * new).squareRoot() : max(old, new)
        }
    }

    /// `plan` with its batches reallocated for `variances` (one per term, finest first) at the
    /// plan's own work per step.
    public static func reallocate(_ plan: EstimatorPlan, variances: [Double]) -> EstimatorPlan {
        let sizes = batches(variances: variances, costs: plan.terms.map(\.workPerSample), work: plan.work)
        var terms = plan.terms
        for i in terms.indices { terms[i].batchSize = sizes[i] }
        return EstimatorPlan(terms: terms)
    }
}
