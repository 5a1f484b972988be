/// Assigns the samples of a step's terms to ranks, minimising the largest load.
///
/// **Why counts suffice.** All samples of a term cost the same, so an assignment is a
/// matrix of counts `n[r][t]` with `Σ_r n[r][t] = N_t`. Numbering each term's samples rank
/// by rank then gives every rank one contiguous range per term: the fewest, largest
/// evaluations, with no merging step.
///
/// **First fit, most expensive term first, against a capacity B.** Terms in order of
/// decreasing per-sample cost `w_t`; each goes to ranks 0, 1, … in turn, every rank taking
/// as many samples as fit under B: `n[r][t] = min(left, ⌊(B − load_r) / w_t⌋)`. The finest
/// term is thereby sharded over a group of consecutive ranks, the next terms fill what
/// capacity that group has left before opening new ranks, and the cheapest samples fill the
/// remaining gaps, so no rank idles while another is over B.
///
/// **The capacity.** With `W = Σ_t N_t·w_t`, no plan beats
///
///     B_low = max( ⌈W/R⌉,  max_t ⌈K_t/R⌉ · w_t ),   K_t = #samples costing ≥ w_t,
///
/// (some rank holds `⌈K_t/R⌉` of the `K_t` most expensive samples). First fit always
/// succeeds at `B_high = ⌈W/R⌉ + max_t w_t`: a sample finds no room only if every rank
/// already carries more than `⌈W/R⌉`, i.e. more than W in all. Bisection between the two
/// finds the smallest capacity at which first fit succeeds (first fit is not strictly
/// monotone in B, so rarely a slightly smaller B would also work).
///
/// Greedy LPT over sample chunks was the alternative: it balances as well only with small
/// chunks, which scatter each term over many separate ranges per rank.
struct SamplePacking {
    /// `ranges[t][r]`: the samples of term t on rank r (empty when none).
    let ranges: [[Range<Int>]]
    /// Load of each rank, in cost units.
    let loads: [Int]
    /// `B_low` above, in cost units.
    let lowerBound: Int

    init(costs: [Int], batches: [Int], rankCount: Int) {
        precondition(costs.count == batches.count && costs.allSatisfy { $0 > 0 } && batches.allSatisfy { $0 > 0 },
                     "SamplePacking needs one positive cost and batch per term")
        // Decreasing cost; equal costs in term order.
        let order = costs.indices.sorted { (costs[$0], $1) > (costs[$1], $0) }
        let total = zip(costs, batches).reduce(0) { $0 + $1.0 * $1.1 }
        let meanCeiling = (total + rankCount - 1) / rankCount
        var expensiveSamples = 0
        var lowerBound = meanCeiling
        for t in order {
            expensiveSamples += batches[t]
            lowerBound = max(lowerBound, (expensiveSamples + rankCount - 1) / rankCount * costs[t])
        }

        func firstFit(capacity: Int) -> [[Int]]? {
            var loads = [Int](repeating: 0, count: rankCount)
            var counts = [[Int]](repeating: [Int](repeating: 0, count: rankCount), count: costs.count)
            for t in order {
                var left = batches[t]
                for r in 0..<rankCount where left > 0 {
                    let taken = min(left, (capacity - loads[r]) / costs[t])
                    guard taken > 0 else { continue }
                    counts[t][r] = taken
                    loads[r] += taken * costs[t]
                    left -= taken
                }
                if left > 0 { return nil }
            }
            return counts
        }

        var low = lowerBound, high = meanCeiling + costs.max()!
        guard var counts = firstFit(capacity: high) else {
            preconditionFailure("first fit failed at capacity ⌈W/R⌉ + max cost, which cannot happen")
        }
        while low < high {
            let middle = (low + high) / 2
            if let fitted = firstFit(capacity: middle) {
                counts = fitted
                high = middle
            } else {
                low = middle + 1
            }
        }

        self.lowerBound = lowerBound
        self.ranges = counts.map { perRank in
            var start = 0
            return perRank.map { count in
                defer { start += count }
                return start..<(start + count)
            }
        }
        self.loads = (0..<rankCount).map { r in costs.indices.reduce(0) { $0 + counts[$1][r] * costs[$1] } }
    }
}
