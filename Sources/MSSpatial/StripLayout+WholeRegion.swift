import MSTensor

/// Regions of a network that every rank of a group computes whole: where a UNet's inner maps
/// are too small to split (docs/distribution.md, "Inner maps").
///
/// Inside such a region every rank holds the same whole maps and runs the same layers. Its
/// backward must see the whole gradient, which the group's strips hold in parts, and the
/// parameter gradients it accumulates on every rank must count once when the step's
/// allreduce sums them: so `leavingWhole` sums the strips' gradients over the group and
/// divides by G, and `enteringWhole` multiplies by G again on the way out.
extension StripLayout {
    /// The smallest strip: fewer rows than this and a map is computed whole.
    public static let minimumRowsToStaySplit = 8

    /// Whether some rank's strip has fewer than `minimumRowsToStaySplit` rows.
    public var isTooSmallToSplit: Bool {
        (0..<rows.parts).contains { rows.rows(of: $0).count < Self.minimumRowsToStaySplit }
    }

    /// The whole map from this rank's strip (`gather`). The pullback takes the gradient of the
    /// whole map, which inside the region every rank holds divided by G, and returns this
    /// strip's rows of it times G.
    public func enteringWhole(_ strip: Tensor) -> (whole: Tensor, pullback: (Tensor) -> Tensor) {
        let size = Float(group.size)
        return (gather(strip), { [self] gradient in gradient.rows(ownRows) * size })
    }

    /// This rank's rows of a map every rank holds whole. The pullback places the strip's
    /// gradient in its rows, sums over the group (one allreduce) and divides by G: every rank
    /// then holds the whole gradient over G, and the region's backward, run by all G ranks,
    /// adds up to one.
    public func leavingWhole(_ whole: Tensor) -> (strip: Tensor, pullback: (Tensor) -> Tensor) {
        precondition(whole.height == rows.height, "StripLayout.leavingWhole: a map of \(whole.height) rows, the layout has \(rows.height)")
        let size = Float(group.size)
        return (whole.rows(ownRows), { [self] gradient in gather(gradient) * (1 / size) })
    }
}
