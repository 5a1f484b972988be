import Foundation

/// What every rank evaluates in one step when the ranks form spatial groups of `groupSize`
/// consecutive ranks (docs/method.md section 8, docs/distribution.md).
///
/// The samples of every term are first split over the groups as whole samples (`groupPlan`, a
/// `LevelPlan` over the groups, so the groups carry equal modelled work). Inside a group, a
/// *tiled* term's samples are evaluated by all the group's ranks together, each on its strip of
/// every image; the samples of the other terms (coarse levels, whose maps are too small to
/// split well) are split again over the group's ranks as whole samples (a `LevelPlan` of the
/// group's share over `groupSize` ranks). With `groupSize` 1 this is exactly the `LevelPlan`
/// over all ranks.
///
/// Cost model: a whole sample costs its work `w` (WU) on the rank that evaluates it; a tiled
/// sample costs every rank of its group `w·(1 + h)/G`, where `h` is the term's halo overhead
/// (the halo rows its strips exchange and copy, against the strip's own rows;
/// `SpatialSharding.haloOverhead`). The group plan packs the tiled samples at `w·(1 + h)`, so a
/// group that holds more of them is given fewer whole samples.
public struct ShardPlan: Sendable {
    /// Samples `samples` of `terms[term]`; on a strip of each image when `isTiled`.
    public struct Shard: Hashable, Sendable {
        public var term: Int
        public var samples: Range<Int>
        public var isTiled: Bool

        public init(term: Int, samples: Range<Int>, isTiled: Bool) {
            self.term = term
            self.samples = samples
            self.isTiled = isTiled
        }
    }

    public let terms: [EstimatorTerm]
    public let groupSize: Int
    /// Whether each term is evaluated on strips, `[terms]`.
    public let isTiled: [Bool]
    /// The modelled halo overhead `h` of each term's tiled samples (0 for whole ones), `[terms]`.
    public let haloOverheads: [Double]
    /// Whole samples of every term over the groups.
    public let groupPlan: LevelPlan
    /// `shards[r]`: what rank `r` evaluates, in term order.
    public let shards: [[Shard]]

    /// Plans `plan` over `rankCount` ranks in groups of `groupSize`; `isTiled(term)` says which
    /// terms the groups split into strips and `haloOverhead(term)` what halo traffic costs a
    /// tiled sample (both ignored for groups of one).
    public init(_ plan: EstimatorPlan, rankCount: Int, groupSize: Int = 1, isTiled: (EstimatorTerm) -> Bool = { _ in false },
                haloOverhead: (EstimatorTerm) -> Double = { _ in 0 }) {
        precondition(groupSize >= 1 && rankCount % groupSize == 0,
                     "ShardPlan: \(rankCount) ranks do not form groups of \(groupSize)")
        terms = plan.terms
        self.groupSize = groupSize
        let tiled = plan.terms.map { groupSize > 1 && isTiled($0) }
        self.isTiled = tiled
        let overheads = zip(plan.terms, tiled).map { term, tiled in tiled ? max(0, haloOverhead(term)) : 0 }
        haloOverheads = overheads
        let groupPlan = groupSize == 1 ? LevelPlan(plan, rankCount: rankCount)
            : LevelPlan(plan, rankCount: rankCount / groupSize, costFactors: overheads.map { 1 + $0 })
        self.groupPlan = groupPlan
        var shards: [[Shard]] = []
        for group in 0..<groupPlan.rankCount {
            let share = groupPlan.shards(forRank: group)
            let whole = share.filter { !tiled[$0.term] }
            let inner = whole.isEmpty ? nil
                : LevelPlan(EstimatorPlan(terms: whole.map { var t = plan.terms[$0.term]; t.batchSize = $0.samples.count; return t }),
                            rankCount: groupSize)
            for member in 0..<groupSize {
                var mine: [Shard] = share.filter { tiled[$0.term] }.map { Shard(term: $0.term, samples: $0.samples, isTiled: true) }
                for part in inner?.shards(forRank: member) ?? [] {
                    let groupShare = whole[part.term]
                    let first = groupShare.samples.lowerBound
                    mine.append(Shard(term: groupShare.term, samples: (first + part.samples.lowerBound)..<(first + part.samples.upperBound),
                                      isTiled: false))
                }
                shards.append(mine.sorted { $0.term < $1.term })
            }
        }
        self.shards = shards
    }

    /// The modelled load of rank `rank` in WU, and the part of it that is halo traffic.
    public func load(ofRank rank: Int) -> (total: Double, halo: Double) {
        shards[rank].reduce((0.0, 0.0)) { sum, shard in
            let work = Double(shard.samples.count) * terms[shard.term].workPerSample
            guard shard.isTiled else { return (sum.0 + work, sum.1) }
            let share = work / Double(groupSize), halo = share * haloOverheads[shard.term]
            return (sum.0 + share + halo, sum.1 + halo)
        }
    }

    /// What rank `rank` evaluates.
    public func shards(forRank rank: Int) -> [Shard] { shards[rank] }
}

extension ShardPlan: CustomStringConvertible {
    /// The plan over the groups (or the ranks, for groups of one) and, with groups, which terms
    /// are tiled and what each rank evaluates.
    public var description: String {
        guard groupSize > 1 else { return groupPlan.description }
        var lines = ["spatial groups of \(groupSize) ranks; tiled terms (every rank of a group on a strip of each image): "
                     + (isTiled.contains(true) ? isTiled.indices.filter { isTiled[$0] }.map(String.init).joined(separator: ", ") : "none"),
                     groupPlan.description.replacingOccurrences(of: "rank", with: "group")]
        if isTiled.contains(true) {
            lines.append("modelled halo overhead of a tiled sample (halo rows against strip rows): "
                         + terms.indices.filter { isTiled[$0] }.map { String(format: "term %d %.1f %%", $0, 100 * haloOverheads[$0]) }
                             .joined(separator: ", "))
        }
        for (rank, mine) in shards.enumerated() {
            let list = mine.map { "\($0.term): \($0.samples.lowerBound)..<\($0.samples.upperBound)\($0.isTiled ? " (strip)" : "")" }
            let (load, halo) = load(ofRank: rank)
            lines.append("rank \(rank) (group \(rank / groupSize)): load " + String(format: "%.4f WU (halo %.4f)", load, halo) + ": "
                         + (list.isEmpty ? "idle" : list.joined(separator: ", ")))
        }
        return lines.joined(separator: "\n")
    }
}
