import MSTensor

/// One axis-aligned box of pixels that inpainting sets to 0, shared by all channels, in
/// whole-image pixel coordinates.
public struct InpaintBox: Hashable, Sendable {
    public var top, left, height, width: Int

    public init(top: Int, left: Int, height: Int, width: Int) {
        (self.top, self.left, self.height, self.width) = (top, left, height, width)
    }

    /// A box with each side `round(f · side)`, `f ~ U(minFraction, maxFraction)` drawn
    /// independently per axis (clamped to `1 … side`), placed uniformly so that it lies fully
    /// inside an `imageHeight × imageWidth` image. Draw order: height, width, top, left (six
    /// 32-bit words).
    static func draw(imageHeight: Int, imageWidth: Int, options: TaskOptions,
                     using random: inout CounterRandom) -> InpaintBox {
        func side(_ extent: Int) -> Int {
            let fraction = random.uniform(options.inpaintMinFraction, options.inpaintMaxFraction)
            return min(max(Int((fraction * Float(extent)).rounded()), 1), extent)
        }
        let height = side(imageHeight), width = side(imageWidth)
        let top = random.index(below: imageHeight - height + 1)
        let left = random.index(below: imageWidth - width + 1)
        return InpaintBox(top: top, left: left, height: height, width: width)
    }

    /// Whether pixel `(row, column)` of the image lies in the box (the mask is 0 there).
    public func contains(row: Int, column: Int) -> Bool {
        (top..<(top + height)).contains(row) && (left..<(left + width)).contains(column)
    }

    /// Sets the part of the box inside `region` to 0 in each of `channels` planes of a
    /// `[channels, region.height, region.width]` tile at `tile`.
    func zero(in tile: UnsafeMutablePointer<Float>, channels: Int, region: ImageRegion) {
        let rows = region.rows.clamped(to: top..<(top + height))
        let columns = region.columns.clamped(to: left..<(left + width))
        guard !rows.isEmpty && !columns.isEmpty else { return }
        for c in 0..<channels {
            for y in rows {
                let offset = (c * region.height + y - region.rows.lowerBound) * region.width
                    + columns.lowerBound - region.columns.lowerBound
                (tile + offset).update(repeating: 0, count: columns.count)
            }
        }
    }
}
