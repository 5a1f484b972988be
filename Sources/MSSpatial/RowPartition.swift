/// The rows of an image split into contiguous strips, one per rank of a spatial group
/// (docs/distribution.md, "Spatial sharding"). Strip `g` owns rows `bounds[g] ..< bounds[g+1]`
/// of every sample and channel, over the full width.
///
/// Strips rather than 2-D blocks: a strip's halo is a few whole rows, contiguous in memory in
/// every `[H, W]` plane, so it moves as one block per plane; a strip has two neighbours at most;
/// and the stride-2 layers keep strip boundaries on even rows. Blocks would send less halo per
/// rank only when a group is so large that strips are a few rows high.
public struct RowPartition: Hashable, Sendable {
    /// Rows of the whole image.
    public let height: Int
    /// `parts + 1` increasing row indices from 0 to `height`.
    public let bounds: [Int]

    /// Splits `height` rows into `parts` strips as equal as the alignment allows: every strip
    /// but the first starts at a multiple of `alignment` (the total stride of the layers that
    /// will run on the strips, so that their outputs split on whole rows). Strips differ by at
    /// most one `alignment` unit, the larger ones first; the last strip takes the rows past the
    /// last whole unit.
    public init(height: Int, parts: Int, alignment: Int = 1) {
        precondition(parts >= 1 && alignment >= 1, "RowPartition needs parts ≥ 1 and alignment ≥ 1")
        let units = height / alignment
        precondition(units >= parts, "RowPartition: \(height) rows in units of \(alignment) cannot make \(parts) strips")
        let (base, extra) = units.quotientAndRemainder(dividingBy: parts)
        var bounds = [0]
        for part in 0..<parts - 1 { bounds.append(bounds[part] + (base + (part < extra ? 1 : 0)) * alignment) }
        bounds.append(height)
        self.init(height: height, bounds: bounds)
    }

    /// A partition with the given `bounds` (from 0 to `height`, non-decreasing).
    public init(height: Int, bounds: [Int]) {
        precondition(bounds.count >= 2 && bounds.first == 0 && bounds.last == height && zip(bounds, bounds.dropFirst()).allSatisfy(<=),
                     "RowPartition: bounds \(bounds) do not split 0..<\(height)")
        self.height = height
        self.bounds = bounds
    }

    /// The number of strips.
    public var parts: Int { bounds.count - 1 }

    /// The rows of strip `part`.
    public func rows(of part: Int) -> Range<Int> { bounds[part]..<bounds[part + 1] }

    /// The partition of a convolution's (or any strided window's) output rows that follows
    /// this one: output row `o` belongs to the strip that owns input row `stride·o`, so strip
    /// `g` owns outputs `⌈s_g/stride⌉ ..< ⌈e_g/stride⌉`, the last strip up to `outputHeight`.
    public func outputPartition(stride: Int, outputHeight: Int) -> RowPartition {
        let inner = bounds.dropFirst().dropLast().map { min(($0 + stride - 1) / stride, outputHeight) }
        return RowPartition(height: outputHeight, bounds: [0] + inner + [outputHeight])
    }
}
