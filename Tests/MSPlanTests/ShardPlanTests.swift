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

    /// The halo traffic of tiled samples is part of the load: the group plan packs a tiled
    /// sample at `w·(1 + h)`, and each rank's modelled load counts its strips at `w·(1 + h)/G`.
    func testHaloOverheadIsPartOfTheGroupLoads() {
        // 3 tiled corrections of 1.25 WU and 16 whole coarse samples of 0.25 WU over 2 groups.
        // Free halos: one group takes the 3 corrections and 1 coarse sample (4 WU), the other 15
        // coarse ones (3.75 WU). At h = 0.5 a correction costs 1.875 WU: 2 corrections and 4
        // coarse samples (4.75 WU) against 1 and 12 (4.875 WU).
        let terms = DefaultPlans.levels([3, 16])
        func counts(_ plan: ShardPlan, term: Int) -> [Int] {
            (0..<2).map { group in plan.groupPlan.shards(forRank: group).first { $0.term == term }?.samples.count ?? 0 }
        }
        let free = ShardPlan(terms, rankCount: 4, groupSize: 2, isTiled: { $0.level == 0 })
        XCTAssertEqual(counts(free, term: 0), [3, 0])
        XCTAssertEqual(counts(free, term: 1), [1, 15])
        let charged = ShardPlan(terms, rankCount: 4, groupSize: 2, isTiled: { $0.level == 0 }, haloOverhead: { _ in 0.5 })
        XCTAssertEqual(counts(charged, term: 0), [2, 1])
        XCTAssertEqual(counts(charged, term: 1), [4, 12])
        XCTAssertEqual(charged.haloOverheads, [0.5, 0])
        XCTAssertEqual(charged.groupPlan.loads, [4.75, 4.875])
        for rank in 0..<4 {
            let (load, halo) = charged.load(ofRank: rank)
            let mine = charged.shards(forRank: rank)
            let tiled = mine.filter(\.isTiled).map(\.samples.count).reduce(0, +)
            let whole = mine.filter { !$0.isTiled }.map(\.samples.count).reduce(0, +)
            XCTAssertEqual(halo, Double(tiled) * 1.25 * 0.5 / 2, accuracy: 1e-12)
            XCTAssertEqual(load, Double(tiled) * 1.25 * 1.5 / 2 + Double(whole) * 0.25, accuracy: 1e-12)
        }
        // Groups of one ignore the model: the level plan.
        let single = ShardPlan(terms, rankCount: 2, isTiled: { _ in true }, haloOverhead: { _ in 0.5 })
        XCTAssertEqual(single.groupPlan, LevelPlan(terms, rankCount: 2))
    }
}
