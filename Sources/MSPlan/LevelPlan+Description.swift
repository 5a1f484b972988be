import Foundation

extension LevelPlan: CustomStringConvertible {
    /// The plan as rank 0 prints it at start and `--dry-run` shows it: the terms, then each
    /// rank's modelled load and shards (`term: first..<end`).
    public var description: String {
        func number(_ value: Double, _ decimals: Int = 4) -> String { String(format: "%.\(decimals)f", value) }
        /// Cells right-aligned to `widths`; a negative width left-aligns, 0 leaves the cell as is.
        func row(_ cells: [String], widths: [Int]) -> String {
            zip(cells, widths).map { cell, width in
                let padding = String(repeating: " ", count: max(0, abs(width) - cell.count))
                return width < 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        var lines = [
            "level plan: \(terms.count) terms, \(number(totalWork)) WU per step over \(rankCount) rank\(rankCount == 1 ? "" : "s"); "
                + "imbalance \(number(imbalance)) (max/mean load), lower bound \(number(lowerBoundImbalance))",
        ]
        let termWidths = [4, 5, -10, 7, 9, 8]
        lines.append(row(["term", "level", "kind", "samples", "WU/sample", "WU"], widths: termWidths))
        for (index, term) in terms.enumerated() {
            lines.append(row([String(index), String(term.level), term.isCorrection ? "correction" : "coarsest",
                              String(term.batchSize), number(term.workPerSample, 6), number(term.work)],
                             widths: termWidths))
        }
        let rankWidths = [4, 10, 0]
        lines.append(row(["rank", "load (WU)", "shards (term: samples)"], widths: rankWidths))
        for rank in 0..<rankCount {
            let shardList = shards[rank].map { "\($0.term): \($0.samples.lowerBound)..<\($0.samples.upperBound)" }
            lines.append(row([String(rank), number(loads[rank]), shardList.isEmpty ? "idle" : shardList.joined(separator: ", ")],
                             widths: rankWidths))
        }
        return lines.joined(separator: "\n")
    }
}
