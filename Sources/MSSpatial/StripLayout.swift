import MSDistributed
import MSKernels
import MSTensor

/// How one map of a network is held by a spatial group: every rank of `group` holds the rows
/// `rows.rows(of: group.rank)` of every sample and channel, over the full width.
///
/// A communicator is used by one thread at a time; the layout is `@unchecked Sendable` so
/// that it can travel in a `ForwardContext`.
public struct StripLayout: @unchecked Sendable {
    public let group: any Communicator
    public let rows: RowPartition

    public init(group: any Communicator, rows: RowPartition) {
        precondition(group.size == rows.parts, "StripLayout: \(rows.parts) strips for a group of \(group.size) ranks")
        self.group = group
        self.rows = rows
    }

    /// This rank's rows.
    public var ownRows: Range<Int> { rows.rows(of: group.rank) }

    /// This rank's share of a per-image mean over pixels (its rows over the image's): a strip's
    /// mean squared error times this is its part of the image's.
    public var share: Float { Float(ownRows.count) / Float(rows.height) }

    /// The layout of the map `factor` times smaller on each side (a downsampling by strides
    /// that multiply to `factor`): strip bounds divided by `factor`, which `rows` must be
    /// aligned to.
    public func downsampled(by factor: Int) -> StripLayout {
        precondition(rows.bounds.dropLast().allSatisfy { $0 % factor == 0 },
                     "StripLayout: strips \(rows.bounds) are not aligned to a factor of \(factor)")
        return StripLayout(group: group, rows: rows.outputPartition(stride: factor, outputHeight: (rows.height + factor - 1) / factor))
    }

    /// The whole map `[N, C, H, W]` on every rank of the group, from each rank's strip
    /// `[N, C, h, W]`: the strips placed in their rows and summed over the group (one allreduce).
    public func gather(_ strip: Tensor) -> Tensor {
        precondition(strip.height == ownRows.count, "StripLayout.gather: a strip of \(strip.height) rows, the layout gives this rank \(ownRows.count)")
        var whole = strip.embedded(inHeight: rows.height, at: ownRows.lowerBound)
        whole.withUnsafeMutableBufferPointer { group.allreduce($0, op: .sum) }
        return whole
    }

    /// The statistics of normalisation groups of `channelsPerGroup` channels of width `width`
    /// over all strips: sums reduced over the group.
    public func splitGroups(channelsPerGroup: Int, width: Int) -> SplitGroups {
        let group = self.group
        return SplitGroups(elementsPerGroup: channelsPerGroup * rows.height * width) { group.allreduce($0, op: .sum) }
    }
}
