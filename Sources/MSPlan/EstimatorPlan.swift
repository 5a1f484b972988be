/// One term of the multilevel telescoping sum (docs/method.md section 2).
///
/// Levels are absolute: level 0 is the data's finest mesh, level ℓ has `n / 2^ℓ` pixels per
/// side. A correction term at level ℓ evaluates the same samples at ℓ (weight `+1/N`) and at
/// ℓ+1 (weight `−1/N`); the coarsest term evaluates at its level with weight `+1/N`.
///
/// This is the one description of a term: the estimator evaluates it, the schedule lists it,
/// and `LevelPlan` splits its samples over the ranks by the cost modelled here.
public struct EstimatorTerm: Hashable, Sendable, Codable {
    public var level: Int
    public var isCorrection: Bool
    public var batchSize: Int

    public init(level: Int, isCorrection: Bool, batchSize: Int) {
        precondition(level >= 0, "EstimatorTerm needs level ≥ 0, got \(level)")
        self.level = level
        self.isCorrection = isCorrection
        self.batchSize = batchSize
    }

    /// The meshes one sample is evaluated on: `level`, and `level + 1` for a correction.
    public var evaluatedLevels: ClosedRange<Int> { level...coarsestLevel }

    /// The level of the coarsest pass of a sample: `level + 1` for a correction.
    public var coarsestLevel: Int { level + (isCorrection ? 1 : 0) }

    /// Work units of one sample (docs/method.md section 7): `4^−ℓ`, plus `4^−(ℓ+1)` for the
    /// coarse half of a correction.
    public var workPerSample: Double { evaluatedLevels.reduce(0) { $0 + WorkUnits.perSample(level: $1) } }

    /// The cost of one sample in units of one sample at `unitLevel` (which must be at least
    /// `coarsestLevel`): `4^(u−ℓ)`, plus `4^(u−ℓ−1)` for a correction. Exact integers, for
    /// load balancing without rounding.
    public func cost(inSamplesOfLevel unitLevel: Int) -> Int {
        precondition(unitLevel >= coarsestLevel, "cost unit level \(unitLevel) is finer than the term's coarsest pass \(coarsestLevel)")
        return evaluatedLevels.reduce(0) { $0 + WorkUnits.samples(ofLevel: unitLevel, costing: $1) }
    }

    /// Work units of the whole term in one step.
    public var work: Double { Double(batchSize) * workPerSample }
}

/// The terms one optimizer step estimates, finest first.
public struct EstimatorPlan: Hashable, Sendable, Codable {
    public var terms: [EstimatorTerm]

    public init(terms: [EstimatorTerm]) {
        precondition(!terms.isEmpty && terms.allSatisfy { $0.batchSize > 0 }, "EstimatorPlan needs terms with positive batches")
        self.terms = terms
    }

    /// Plain minibatch SGD at `level` with `batchSize` samples.
    public static func singleScale(level: Int = 0, batchSize: Int) -> EstimatorPlan {
        EstimatorPlan(terms: [EstimatorTerm(level: level, isCorrection: false, batchSize: batchSize)])
    }

    /// MGE over `batches.count` levels starting at `finestLevel`: corrections at
    /// `finestLevel … finestLevel+L−2` and the coarsest term at `finestLevel+L−1`.
    /// With one level it is `singleScale`.
    public static func multilevel(finestLevel: Int = 0, batches: [Int]) -> EstimatorPlan {
        let count = batches.count
        return EstimatorPlan(terms: batches.enumerated().map { i, n in
            EstimatorTerm(level: finestLevel + i, isCorrection: i < count - 1, batchSize: n)
        })
    }

    /// Geometric batches `N_ℓ = N_0 · r^ℓ` for `levels` levels.
    public static func geometricBatches(finest: Int, ratio: Int, levels: Int) -> [Int] {
        var batch = finest
        return (0..<levels).map { _ in defer { batch *= ratio }; return batch }
    }

    /// The finest level any term evaluates.
    public var finestLevel: Int { terms.map(\.level).min()! }
    /// The coarsest level any term evaluates (the coarse half of a correction included).
    public var coarsestLevel: Int { terms.map(\.coarsestLevel).max()! }
    /// Work units of one step.
    public var work: Double { terms.reduce(0) { $0 + $1.work } }
}

/// Work accounting (docs/method.md section 7): one work unit is one forward+backward pass of one
/// sample at the finest mesh; a sample at level ℓ counts `4^−ℓ`, since in 2-D a mesh with half
/// the side has a quarter of the pixels.
public enum WorkUnits {
    /// `4^−ℓ`.
    public static func perSample(level: Int) -> Double { 1 / Double(samples(ofLevel: level, costing: 0)) }

    /// How many samples at `coarseLevel` cost as much as one at `level` (≤ `coarseLevel`): `4^(c−ℓ)`.
    public static func samples(ofLevel coarseLevel: Int, costing level: Int) -> Int {
        precondition(level <= coarseLevel && coarseLevel - level <= 30, "WorkUnits: levels \(level) and \(coarseLevel) out of range")
        return 1 << (2 * (coarseLevel - level))
    }
}
