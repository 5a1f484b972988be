import MSTensor

extension DirectConv2d {
    /// The forward product of a layer with K > 1 over its input channels in groups of
    /// `channelGroup`: each group's share is added into an accumulator block `[C_out × blockColumns]`
    /// (`ShiftedProduct.multiplyAdd`, tile by tile), which is then stored through the output grid.
    ///
    /// One tile's source over all C_in channels (3×3, stride 2, 32 channels: 192 plane-row segments,
    /// about 30 KiB) does not stay in L1 while the C_out/4 row tiles read it; one group's does, with
    /// the group's weights. Measured on the UNet's 3×3 layers with 32 or more input channels against
    /// the ungrouped product: 0.80–1.00 of its time (docs/performance.md); with a single group (the
    /// 3-channel input conv) 1.19, the accumulator passes costing more than the misses they save.
    struct ChannelGroups {
        /// Input channels per group (4, 8 and 16 measured alike on the UNet's 3×3 layers).
        static let channelGroup = 8

        let groups: [(weights: ShiftedProduct.PackedWeights, offsets: [Int])]
        let bias: [Float]
        let accumulator: UnsafeMutableBufferPointer<Float>
        let rowOffsets: [Int]

        /// Nil when `g` is pointwise or has one group; `offsets` are the planes' tap offsets.
        init?(weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?, geometry g: Conv2dGeometry,
              offsets: [Int]) {
            guard !g.isPointwise && g.inputChannels > Self.channelGroup else { return nil }
            let tapsPerChannel = g.kernelSize * g.kernelSize
            groups = stride(from: 0, to: g.inputChannels, by: Self.channelGroup).map { firstChannel in
                let taps = (firstChannel * tapsPerChannel)..<(min(firstChannel + Self.channelGroup, g.inputChannels) * tapsPerChannel)
                let weights = ShiftedProduct.PackedWeights(rows: g.outputChannels, taps: taps.count) { o, t in
                    weight[o * g.patchSize + taps.lowerBound + t]
                }
                return (weights, Array(offsets[taps]))
            }
            self.bias = bias.map(Array.init) ?? [Float](repeating: 0, count: g.outputChannels)
            accumulator = .allocate(capacity: g.outputChannels * blockColumns)
            rowOffsets = (0..<g.outputChannels).map { $0 * blockColumns }
        }

        func deallocate() { accumulator.deallocate() }

        /// `out[o, q] = bias[o] + Σ_t W[o, t] · src[off[t] + q]` for `q ∈ columns` (at most
        /// `blockColumns`, starting at a multiple of 24), written through `grid`; `source` is
        /// readable up to `max(off)` plus the range end rounded up to 24.
        func multiply(source: UnsafePointer<Float>, columns: Range<Int>, into grid: ShiftedProduct.OutputGrid) {
            precondition(columns.count <= blockColumns, "DirectConv2d.ChannelGroups: \(columns.count) columns per block")
            for (o, value) in bias.enumerated() {
                (accumulator.baseAddress! + o * blockColumns).update(repeating: value, count: blockColumns)
            }
            // multiplyAdd writes dst[rowOffsets[o] + q] for absolute q, the block's own columns.
            let destination = accumulator.baseAddress! - columns.lowerBound
            for group in groups {
                ShiftedProduct.multiplyAdd(group.weights, source: source, offsets: group.offsets, columns: columns,
                                           into: destination, rowOffsets: rowOffsets, sweep: .columnTilesOuter)
            }
            grid.store(accumulator.baseAddress!, blockStride: blockColumns, rows: bias.count, columns: columns)
        }
    }
}
