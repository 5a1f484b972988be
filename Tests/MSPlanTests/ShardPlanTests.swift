import XCTest
import MSPlan

final class ShardPlanTests: XCTestCase {
    /// Groups of one rank: exactly the level plan over all ranks, nothing tiled.
    func testGroupsOfOneAreTheLevelPlan() {
        for ranks in 1...6 {
            let plan = ShardPlan(DefaultPlans.multilevel, rankCount: ranks, isTiled: { _ in true })
            let levelPlan = LevelPlan(DefaultPlans.multilevel, rankCount: ranks)
            XCTAssertEqual(plan.shards.map { $0.map(\.term) }, levelPlan.shards.map { $0.map(\.term) })
            XCTAssertEqual(plan.shards.map { $0.map(\.samples) }, levelPlan.shards.map { $0.map(\.samples) })
            XCTAssertFalse(plan.shards.joined().contains { $0.isTiled })
        }
    }

    /// In groups, every rank of a group holds the group's tiled samples (each rank a strip of
    /// them), and every sample of the other terms is on exactly one rank.
    func testTiledSamplesGoToWholeGroupsAndTheRestToSingleRanks() {
        let terms = DefaultPlans.levels([6, 24, 96])
        for (ranks, groupSize) in [(2, 2), (4, 2), (6, 3), (8, 4), (4, 4)] {
            let plan = ShardPlan(terms, rankCount: ranks, groupSize: groupSize, isTiled: { $0.level == 0 })
            var owners = terms.terms.map { [Int](repeating: 0, count: $0.batchSize) }
            for (rank, shards) in plan.shards.enumerated() {
                let group = rank / groupSize
                for shard in shards {
                    XCTAssertEqual(shard.isTiled, shard.term == 0)
                    if shard.isTiled {
                        let groupRange = plan.groupPlan.shards(forRank: group).first { $0.term == 0 }!.samples
                        XCTAssertEqual(shard.samples, groupRange, "rank \(rank) of group \(group)")
                        if rank % groupSize == 0 { for s in shard.samples { owners[0][s] += 1 } }
                    } else {
                        for s in shard.samples { owners[shard.term][s] += 1 }
                    }
                }
            }
            XCTAssertTrue(owners.allSatisfy { $0.allSatisfy { $0 == 1 } }, "\(ranks) ranks in groups of \(groupSize)")
        }
    }
}
