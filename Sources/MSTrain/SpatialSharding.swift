import MSDistributed
import MSMultiscale
import MSSpatial

/// Which terms a run evaluates on strips, and the strips' layout (docs/distribution.md).
///
/// A term is tiled when its level's maps split into strips of at least `minimumRowsPerStrip`
/// rows: below that, the modelled halo overhead (`haloOverhead`) passes 25 % for a strip with
/// one neighbour and 50 % for one with two, and a whole-sample split of the same work is cheaper, so coarse levels stay whole and the
/// group divides their samples instead. Strips start on multiples of the network's total
/// stride, doubled for a correction, whose coarse half restricts the strip once more.
public struct SpatialSharding: Sendable {
    /// Ranks per group.
    public let groupSize: Int
    /// Rows of the finest mesh.
    public let imageHeight: Int
    /// The network's total stride.
    public let totalStride: Int

    /// The smallest strip, in rows of the term's level, worth splitting an image for.
    public static let minimumRowsPerStrip = 32

    /// What one strip edge costs in halo traffic, in rows of the strip's own work: the rows
    /// its layers exchange with the neighbour and copy into their windows. Calibrated on a
    /// UNet step (width 32) at G = 2 (docs/distribution.md, "The plan's cost model").
    public static let haloRowsPerEdge = 8.0

    public init(groupSize: Int, imageHeight: Int, totalStride: Int) {
        self.groupSize = groupSize
        self.imageHeight = imageHeight
        self.totalStride = totalStride
    }

    /// Whether `term`'s samples are evaluated on strips.
    public func isTiled(_ term: EstimatorTerm) -> Bool {
        let rows = imageHeight >> term.level
        return groupSize > 1 && rows / groupSize >= Self.minimumRowsPerStrip && rows / alignment(term) >= groupSize
    }

    /// The halo overhead `h` of a tiled sample of `term` on the busiest rank of a group: an
    /// inner strip's `min(2, G − 1)` edges of `haloRowsPerEdge` rows each, against its
    /// `H_ℓ / G` rows. A tiled sample of work `w` costs each rank `w·(1 + h)/G` (`ShardPlan`).
    public func haloOverhead(_ term: EstimatorTerm) -> Double {
        let rowsPerStrip = Double(imageHeight >> term.level) / Double(groupSize)
        return Double(min(2, groupSize - 1)) * Self.haloRowsPerEdge / rowsPerStrip
    }

    /// The strips of `term`'s level-ℓ maps over `group` (of `groupSize` ranks).
    public func layout(of term: EstimatorTerm, group: any Communicator) -> StripLayout {
        StripLayout(group: group, rows: partition(of: term))
    }

    /// The rows of `term`'s level-ℓ maps each rank of a group holds.
    public func partition(of term: EstimatorTerm) -> RowPartition {
        RowPartition(height: imageHeight >> term.level, parts: groupSize, alignment: alignment(term))
    }

    /// The strips of whole finest-mesh images over `group` (validation), or nil when the finest
    /// level is not tiled.
    public func wholeImageLayout(group: any Communicator) -> StripLayout? {
        let image = EstimatorTerm(level: 0, isCorrection: false, batchSize: 1)
        return isTiled(image) ? layout(of: image, group: group) : nil
    }

    /// What every one of `rankCount` ranks evaluates of `plan`.
    public func plan(_ plan: EstimatorPlan, rankCount: Int) -> ShardPlan {
        ShardPlan(plan, rankCount: rankCount, groupSize: groupSize, isTiled: isTiled, haloOverhead: haloOverhead)
    }

    private func alignment(_ term: EstimatorTerm) -> Int { totalStride * (term.isCorrection ? 2 : 1) }
}
