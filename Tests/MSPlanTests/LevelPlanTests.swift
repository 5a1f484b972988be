import XCTest
import MSPlan

/// The default batches of the two multiscale schedules: MGE with `N_ℓ = 16·4^ℓ` on 4 levels,
/// and Full-Multiscale's finest stage (16 samples on each of levels 0…3).
enum DefaultPlans {
    static func levels(_ batches: [Int], finestLevel: Int = 0) -> EstimatorPlan {
        .multilevel(finestLevel: finestLevel, batches: batches)
    }
    static let multilevel = levels([16, 64, 256, 1024])
    static let fullMultiscaleFinestStage = levels([16, 16, 16, 16])
}

final class LevelPlanTests: XCTestCase {
    /// Every sample of every term on exactly one rank, one non-empty range per (rank, term),
    /// loads that match the shards, and a largest load no better than the lower bound.
    func assertValid(_ plan: LevelPlan, file: StaticString = #filePath, line: UInt = #line) {
        var owners = plan.terms.map { [Int](repeating: 0, count: $0.batchSize) }
        for (rank, shards) in plan.shards.enumerated() {
            XCTAssertEqual(Set(shards.map(\.term)).count, shards.count, "rank \(rank) holds a term twice", file: file, line: line)
            XCTAssertEqual(shards.map(\.term), shards.map(\.term).sorted(), "rank \(rank): shards not in term order", file: file, line: line)
            var load = 0.0
            for shard in shards {
                XCTAssertFalse(shard.samples.isEmpty, file: file, line: line)
                for sample in shard.samples { owners[shard.term][sample] += 1 }
                load += Double(shard.samples.count) * plan.terms[shard.term].workPerSample
            }
            XCTAssertEqual(load, plan.loads[rank], accuracy: 1e-9, file: file, line: line)
        }
        for (term, counts) in owners.enumerated() {
            XCTAssertTrue(counts.allSatisfy { $0 == 1 }, "term \(term): a sample not assigned exactly once", file: file, line: line)
        }
        XCTAssertEqual(plan.loads.reduce(0, +), plan.totalWork, accuracy: 1e-9, file: file, line: line)
        XCTAssertGreaterThanOrEqual(plan.maxLoad, plan.lowerBound - 1e-12, file: file, line: line)
        XCTAssertGreaterThanOrEqual(plan.lowerBound, plan.meanLoad - 1e-12, file: file, line: line)
    }

    func testExactCoverForManyShapesAndRankCounts() {
        let shapes: [EstimatorPlan] = [
            DefaultPlans.multilevel,
            DefaultPlans.fullMultiscaleFinestStage,
            DefaultPlans.levels([128]),
            DefaultPlans.levels([3, 1]),
            DefaultPlans.levels([32, 32], finestLevel: 2),
            DefaultPlans.levels([7, 13, 29, 61, 127]),
            EstimatorPlan(terms: [EstimatorTerm(level: 1, isCorrection: false, batchSize: 5), EstimatorTerm(level: 0, isCorrection: true, batchSize: 9)]),
        ]
        for terms in shapes {
            for ranks in 1...40 { assertValid(LevelPlan(terms, rankCount: ranks)) }
        }
    }

    func testOneRankEvaluatesEverything() {
        let plan = LevelPlan(DefaultPlans.multilevel, rankCount: 1)
        XCTAssertEqual(plan.shards[0], plan.terms.indices.map { LevelPlan.Shard(term: $0, samples: 0..<plan.terms[$0].batchSize) })
        XCTAssertEqual(plan.imbalance, 1)
        XCTAssertEqual(plan.loads, [76])
    }

    func testMoreRanksThanSamplesLeavesRanksIdle() {
        let plan = LevelPlan(DefaultPlans.levels([2]), rankCount: 5)
        assertValid(plan)
        XCTAssertEqual(plan.shards.map(\.count), [1, 1, 0, 0, 0])
        XCTAssertEqual(plan.maxLoad, 1)
        XCTAssertEqual(plan.lowerBound, 1)
        XCTAssertTrue(plan.description.contains("idle"))
    }

    func testPlanIsDeterministic() {
        for ranks in [3, 7, 16] {
            XCTAssertEqual(LevelPlan(DefaultPlans.multilevel, rankCount: ranks),
                           LevelPlan(DefaultPlans.multilevel, rankCount: ranks))
        }
    }

    /// The balance target: imbalance ≤ 1.15 for R ≤ 16 with the default batches, wherever
    /// the lower bound allows it (Full-Multiscale's 16 fine samples on 12…15 ranks put two
    /// on some rank, so the bound itself exceeds 1.15 there).
    func testImbalanceTargetWithDefaultBatches() {
        for terms in [DefaultPlans.multilevel, DefaultPlans.fullMultiscaleFinestStage] {
            for ranks in 1...16 {
                let plan = LevelPlan(terms, rankCount: ranks)
                XCTAssertLessThanOrEqual(plan.imbalance, max(1.15, plan.lowerBoundImbalance) + 1e-12, "\(ranks) ranks")
            }
            for ranks in [1, 2, 3, 4, 8, 16] {
                XCTAssertLessThanOrEqual(LevelPlan(terms, rankCount: ranks).imbalance, 1.15, "\(ranks) ranks")
            }
        }
        let bound = LevelPlan(DefaultPlans.fullMultiscaleFinestStage, rankCount: 12)
        XCTAssertEqual(bound.lowerBound, 2.5)
        XCTAssertEqual(bound.maxLoad, 2.5)
    }

    /// Method.md section 8: the finest term is sharded over a group of ranks, the coarse
    /// terms fill those ranks' spare capacity.
    func testFinestTermIsShardedAndCoarseTermsArePacked() {
        let plan = LevelPlan(DefaultPlans.multilevel, rankCount: 8)
        let finestRanks = plan.shards.indices.filter { plan.shards[$0].contains { $0.term == 0 } }
        XCTAssertGreaterThan(finestRanks.count, 1)
        XCTAssertEqual(finestRanks, Array(finestRanks.first!...finestRanks.last!))
        XCTAssertTrue(finestRanks.allSatisfy { plan.shards[$0].count > 1 || plan.loads[$0] >= plan.meanLoad })
    }

    func testWorkModel() {
        XCTAssertEqual(EstimatorTerm(level: 0, isCorrection: true, batchSize: 1).workPerSample, 1.25)
        XCTAssertEqual(EstimatorTerm(level: 2, isCorrection: false, batchSize: 1).workPerSample, 1.0 / 16)
        let costs = SampleCosts(terms: DefaultPlans.multilevel.terms)
        XCTAssertEqual(costs.perSample, [80, 20, 5, 1])
        XCTAssertEqual(costs.work(80), 1.25)
    }

    func testDescriptionListsTermsAndRanks() {
        let text = LevelPlan(DefaultPlans.multilevel, rankCount: 3).description
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 1 + 1 + 4 + 1 + 3)
        XCTAssertTrue(text.hasPrefix("level plan: 4 terms, 76.0000 WU per step over 3 ranks"))
        XCTAssertTrue(text.contains("correction"))
    }

    /// The measured imbalance (max/mean) of the default batches; each equals the lower bound.
    func testMeasuredImbalanceOfDefaultBatches() {
        let measured: [(ranks: Int, multilevel: Double, fullMultiscale: Double)] = [
            (1, 1, 1), (2, 1, 1), (3, 1.0004, 1.0012), (4, 1, 1), (8, 1, 1), (16, 1, 1),
        ]
        for (ranks, multilevel, fullMultiscale) in measured {
            for (terms, expected) in [(DefaultPlans.multilevel, multilevel), (DefaultPlans.fullMultiscaleFinestStage, fullMultiscale)] {
                let plan = LevelPlan(terms, rankCount: ranks)
                XCTAssertEqual(plan.imbalance, expected, accuracy: 1e-4, "\(ranks) ranks")
                XCTAssertEqual(plan.imbalance, plan.lowerBoundImbalance, accuracy: 1e-12, "\(ranks) ranks")
            }
        }
    }

    /// Every stage of the default Full-Multiscale schedule (batches 128, 64, 32, 16 per
    /// level from the coarsest stage on) stays within 1.15 on up to 16 ranks.
    func testEveryFullMultiscaleStageIsBalanced() {
        for (finestLevel, batch) in [(3, 128), (2, 64), (1, 32), (0, 16)] {
            let terms = DefaultPlans.levels([Int](repeating: batch, count: 4 - finestLevel), finestLevel: finestLevel)
            for ranks in 1...16 {
                let plan = LevelPlan(terms, rankCount: ranks)
                XCTAssertLessThanOrEqual(plan.imbalance, max(1.15, plan.lowerBoundImbalance) + 1e-12,
                                         "stage with finest level \(finestLevel), \(ranks) ranks")
            }
        }
    }
}
