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
    /// Whole samples of every term over the groups.
    public let groupPlan: LevelPlan
    /// `shards[r]`: what rank `r` evaluates, in term order.
    public let shards: [[Shard]]

    /// Plans `plan` over `rankCount` ranks in groups of `groupSize`; `isTiled(term)` says which
    /// terms the groups split into strips (ignored for groups of one).
    public init(_ plan: EstimatorPlan, rankCount: Int, groupSize: Int = 1, isTiled: (EstimatorTerm) -> Bool = { _ in false }) {
        precondition(groupSize >= 1 && rankCount % groupSize == 0,
                     "ShardPlan: \(rankCount) ranks do not form groups of \(groupSize)")
        terms = plan.terms
        self.groupSize = groupSize
        let tiled = plan.terms.map { groupSize > 1 && isTiled($0) }
        self.isTiled = tiled
        let groupPlan = LevelPlan(plan, rankCount: rankCount / groupSize)
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
        for (rank, mine) in shards.enumerated() {
            let list = mine.map { "\($0.term): \($0.samples.lowerBound)..<\($0.samples.upperBound)\($0.isTiled ? " (strip)" : "")" }
            lines.append("rank \(rank) (group \(rank / groupSize)): " + (list.isEmpty ? "idle" : list.joined(separator: ", ")))
        }
        return lines.joined(separator: "\n")
    }
}
