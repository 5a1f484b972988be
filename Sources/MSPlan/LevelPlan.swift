/// Which samples of which terms of an `EstimatorPlan` each rank evaluates in one optimizer
/// step (docs/method.md section 8).
///
/// Every sample of every term is assigned to exactly one rank, as a contiguous range, and
/// each rank holds at most one range per term. The plan depends only on the terms and the
/// rank count, so every rank computes the same plan without communicating.
///
/// Load model: a sample costs `EstimatorTerm.workPerSample` work units (WU; docs/method.md
/// section 7). A rank's load is the sum over its samples; the plan minimises the largest load
/// (see `LevelPlan+Packing.swift`).
public struct LevelPlan: Hashable, Sendable {
    /// Samples `samples` (a sub-range of `0 ..< batchSize`) of `terms[term]`, each evaluated
    /// whole by one rank.
    public struct Shard: Hashable, Sendable, Codable {
        public var term: Int
        public var samples: Range<Int>

        public init(term: Int, samples: Range<Int>) {
            self.term = term
            self.samples = samples
        }
    }

    public let terms: [EstimatorTerm]
    public let rankCount: Int
    /// `shards[r]`: what rank `r` evaluates, in term order, no shard empty. Ranks may be
    /// idle (no shards) when there are fewer samples than ranks.
    public let shards: [[Shard]]
    /// Modelled WU of each rank.
    public let loads: [Double]
    /// No assignment of whole samples has a largest load below this (WU).
    public let lowerBound: Double

    /// Plans the samples of `plan`'s terms over `rankCount` ranks. `costFactors` (one per term,
    /// each at least 1) multiply the terms' per-sample costs: a spatial group's tiled samples
    /// cost their work plus the halo traffic (`ShardPlan`).
    public init(_ plan: EstimatorPlan, rankCount: Int, costFactors: [Double]? = nil) {
        precondition(rankCount >= 1, "LevelPlan needs at least one rank, got \(rankCount)")
        let terms = plan.terms
        let costs = SampleCosts(terms: terms, factors: costFactors)
        let packing = SamplePacking(costs: costs.perSample, batches: terms.map(\.batchSize), rankCount: rankCount)
        self.terms = terms
        self.rankCount = rankCount
        self.loads = packing.loads.map(costs.work)
        self.lowerBound = costs.work(packing.lowerBound)
        self.shards = (0..<rankCount).map { rank in
            terms.indices.compactMap { term in
                let samples = packing.ranges[term][rank]
                return samples.isEmpty ? nil : Shard(term: term, samples: samples)
            }
        }
    }

    /// What rank `rank` evaluates.
    public func shards(forRank rank: Int) -> [Shard] { shards[rank] }

    /// WU of one step over all ranks.
    public var totalWork: Double { terms.reduce(0) { $0 + $1.work } }
    /// The mean of `loads`: `totalWork / rankCount`, plus the halo traffic's share when the
    /// plan has cost factors.
    public var meanLoad: Double { loads.reduce(0, +) / Double(rankCount) }
    public var maxLoad: Double { loads.max()! }
    /// `maxLoad / meanLoad`: 1 is perfect balance; the step takes this much longer than it
    /// would with the work spread evenly.
    public var imbalance: Double { maxLoad / meanLoad }
    /// `lowerBound / meanLoad`: the best imbalance any plan could reach.
    public var lowerBoundImbalance: Double { lowerBound / meanLoad }
}

/// Per-sample costs as integers, in units of one sample at the coarsest level any term
/// evaluates (`EstimatorTerm.cost(inSamplesOfLevel:)`). Integer loads make the packing exact
/// and its comparisons free of rounding. With cost factors, the units are `1/resolution` of
/// such a sample and each cost is rounded to the nearest unit.
public struct SampleCosts: Sendable {
    public let unitLevel: Int
    public let perSample: [Int]
    /// Cost units per sample at `unitLevel`: 1, or `factorResolution` with cost factors.
    public let resolution: Int

    /// Units per sample at the unit level when the costs carry factors.
    public static let factorResolution = 256

    public init(terms: [EstimatorTerm], factors: [Double]? = nil) {
        unitLevel = terms.map(\.coarsestLevel).max()!
        let spread = unitLevel - terms.map(\.level).min()!
        precondition(spread <= 16, "LevelPlan: levels span \(spread) > 16; the integer cost model would overflow")
        let exact = terms.map { [unitLevel] in $0.cost(inSamplesOfLevel: unitLevel) }
        guard let factors else {
            resolution = 1
            perSample = exact
            return
        }
        precondition(factors.count == terms.count && factors.allSatisfy { $0 >= 1 && $0.isFinite },
                     "SampleCosts: \(factors.count) cost factors (each at least 1) for \(terms.count) terms")
        resolution = Self.factorResolution
        perSample = zip(exact, factors).map { Int((Double($0 * Self.factorResolution) * $1).rounded()) }
    }

    /// `units` in WU.
    public func work(_ units: Int) -> Double { Double(units) / Double(resolution) * WorkUnits.perSample(level: unitLevel) }
}
