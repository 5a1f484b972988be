import MSTensor

// Legend as in Conv2d.swift, plus: s stride, Hq×Wq one phase plane of the padded input,
// q = y·Wq + x a position on the plane grid, O/C output/input channels.

/// Convolution without an im2col matrix: each kernel tap reads the zero-padded input, shifted
/// (`ShiftedProduct`). The im2col path copies every input element K² times and OpenBLAS packs the
/// copy again, which costs as much as the product when channels are few (32 output channels
/// give 64 flops per copied element); here the input is copied once per call.
///
/// Stride s is reduced to stride 1 by splitting the padded input into s² phase planes,
/// `plane[c, a, b][r, j] = x_pad[c, s·r + a, s·j + b]`: tap `(ky, kx)` of output `(y, x)` reads
/// plane `(ky mod s, kx mod s)` at `(y + ky/s, x + kx/s)`, a fixed shift of the flat position
/// `q = y·Wq + x`. Outputs are computed on that grid (columns `x ≥ W_out` are computed and dropped).
///
/// The input gradient is the same product run backwards: each tap's share `Σ_o W[o, t] · dY[o, q]`
/// is added onto the phase planes at the tap's offset, and the planes are then folded back onto
/// the input. (`Conv2d` takes the stride-1 input gradient as a forward convolution of `dY`
/// instead, which measured faster.)
enum DirectConv2d {
    /// Columns per product call: 32 register tiles (8, 16 and 32 measured alike, within the
    /// development machine's ±10 %, on the UNet's 32–128² layers).
    static let blockColumns = 32 * ShiftedProduct.tileColumns
    /// Columns per weight-gradient call, longer so the lane partials are loaded and stored rarely.
    static let weightGradientBlockColumns = 64 * ShiftedProduct.tileColumns

    /// Target size, in floats, of one band of phase planes: 256 KiB, half a core's L2, so a band
    /// is filled and then read by its products from cache.
    static let bandBudget = 1 << 16
    /// Grid positions per band of the weight gradient at least, whatever the channel count: its
    /// lane partials are loaded and stored once per block, so short bands cost more than cache misses.
    static let weightGradientBandColumns = 1024

    /// The padded input of one band of output rows of one sample, as s² phase planes per channel,
    /// `[C][s][s][height × Wq]` with `height = bandRows + (K − 1)/s`, followed by zeros that the
    /// last tiles may read: plane row `i` of the band starting at output row `y0` is
    /// `x_pad[s·(y0 + i) + a, s·j + b]`.
    struct PhasePlanes {
        let geometry: Conv2dGeometry
        /// Output rows per band, plane rows per band, plane width `Wq`.
        let bandRows, height, width: Int
        let buffer: UnsafeMutableBufferPointer<Float>
        var planeSize: Int { height * width }
        /// Plane rows a band reads past its own, `(K − 1)/s`.
        var reach: Int { height - bandRows }

        /// `minimumBandColumns`: grid positions per band at least, whatever the channel count.
        init(_ g: Conv2dGeometry, minimumBandColumns: Int) {
            geometry = g
            let s = g.stride, reach = (g.kernelSize - 1) / s
            width = Shape(g).width
            let cached = DirectConv2d.bandBudget / (g.inputChannels * s * s * width) - reach
            let rows = min(g.outputHeight, max(1, cached, (minimumBandColumns + width - 1) / width))
            // Equal bands: a short last band would cost its overheads for little work.
            let bandCount = g.outputHeight / rows
            bandRows = (g.outputHeight + bandCount - 1) / bandCount
            height = bandRows + reach
            let offsets = Self.tapOffsets(g, height: height, width: width)
            let paddedColumns = roundUp(bandRows * width, to: ShiftedProduct.tileColumns)
            let count = max(g.inputChannels * s * s * height * width, offsets.max()! + paddedColumns) + 8
            buffer = .allocate(capacity: count)
            buffer.initialize(repeating: 0)
        }

        func deallocate() { buffer.deallocate() }

        /// The flat offset of tap `(c·K + ky)·K + kx` (the weight's own order).
        var tapOffsets: [Int] { Self.tapOffsets(geometry, height: height, width: width) }

        static func tapOffsets(_ g: Conv2dGeometry, height: Int, width: Int) -> [Int] {
            let k = g.kernelSize, s = g.stride
            var offsets: [Int] = []
            offsets.reserveCapacity(g.patchSize)
            for c in 0..<g.inputChannels {
                for ky in 0..<k {
                    for kx in 0..<k {
                        let plane = (c * s + ky % s) * s + kx % s
                        offsets.append(plane * height * width + (ky / s) * width + kx / s)
                    }
                }
            }
            return offsets
        }

        /// The bands of output rows, in order.
        var bands: [Range<Int>] {
            stride(from: 0, to: geometry.outputHeight, by: bandRows).map { $0..<min($0 + bandRows, geometry.outputHeight) }
        }

        /// Writes the planes of output rows `band` of sample `x` `[C_in, H, W]` (rows that fall in the
        /// padding are zeroed; the padding columns stay zero); returns them.
        func fill(from x: UnsafePointer<Float>, band: Range<Int>) -> UnsafeBufferPointer<Float> {
            let g = geometry, s = g.stride, p = g.padding
            let rows = band.count + reach, phases = ColumnPhases(geometry: g, planeStride: planeSize)
            for c in 0..<g.inputChannels {
                // The band's padded rows in order, so each channel's share is read as one run:
                // padded row k is phase row a = k mod s, plane row k / s.
                for k in 0..<(rows * s) {
                    let first = buffer.baseAddress! + (c * s + k % s) * s * planeSize + (k / s) * width
                    let iy = s * band.lowerBound + k - p
                    if iy >= 0 && iy < g.inputHeight {
                        // Each channel's run is short, and the hardware prefetcher joins it late, so the
                        // next channel's row is requested meanwhile.
                        let row = x + (c * g.inputHeight + iy) * g.inputWidth
                        if c + 1 < g.inputChannels {
                            Prefetch.lines(from: row + g.inputHeight * g.inputWidth, bytes: g.inputWidth * 4)
                        }
                        phases.split(row, into: first)
                    } else {
                        for b in 0..<s { Conv2d.zero(first + b * planeSize, count: width) }
                    }
                }
            }
            return UnsafeBufferPointer(buffer)
        }
    }

    /// Forward: `[N, C_in, H, W]` → `[N, C_out, H_out, W_out]` (see `Conv2d.forward`).
    static func forward(_ input: Tensor, weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                        geometry g: Conv2dGeometry) -> Tensor {
        let ho = g.outputHeight, wo = g.outputWidth, pixels = ho * wo, inputCount = g.inputChannels * g.inputHeight * g.inputWidth
        let planes = g.isPointwise ? nil : PhasePlanes(g, minimumBandColumns: 1)
        defer { planes?.deallocate() }
        let offsets = planes?.tapOffsets ?? PhasePlanes.tapOffsets(g, height: g.inputHeight, width: g.inputWidth)
        let channelGroups = ChannelGroups(weight: weight, bias: bias, geometry: g, offsets: offsets)
        defer { channelGroups?.deallocate() }
        // Without channel groups, the whole product at once.
        let packed = channelGroups != nil ? nil
            : ShiftedProduct.PackedWeights(rows: g.outputChannels, taps: g.patchSize, bias: bias) { o, t in weight[o * g.patchSize + t] }
        let packing = ProductPacking(taps: g.patchSize, enabled: g.kernelSize == 1)
        defer { packing.deallocate() }
        // Every output element is written below: no zero fill (it costs a pass over the output).
        let scalars = [Float](unsafeUninitializedCapacity: g.outputShape.reduce(1, *)) { yBuffer, initialized in
            initialized = yBuffer.count
            input.withUnsafeBufferPointer { xBuffer in
                for n in 0..<g.batch {
                    let x = xBuffer.baseAddress! + n * inputCount
                    // A pointwise product reads the sample itself (packing clips its reads to it), its
                    // pixels as one grid row.
                    for band in planes?.bands ?? [0..<1] {
                        let source = planes?.fill(from: x, band: band) ?? UnsafeBufferPointer(start: x, count: inputCount)
                        let width = planes?.width ?? pixels, validWidth = planes == nil ? pixels : wo
                        let gridColumns = band.count * width
                        let grid = ShiftedProduct.OutputGrid(base: yBuffer.baseAddress!,
                                                             origin: n * g.outputChannels * pixels + band.lowerBound * wo,
                                                             rowStride: pixels, width: width, gridRowStride: wo,
                                                             columnStride: 1, rows: 0..<band.count, columns: 0..<validWidth)
                        for first in stride(from: 0, to: gridColumns, by: blockColumns) {
                            let columns = first..<min(first + blockColumns, gridColumns)
                            if let channelGroups {
                                channelGroups.multiply(source: source.baseAddress!, columns: columns, into: grid)
                            } else if let packed {
                                packing.multiply(packed, source: source, offsets: offsets, columns: columns, into: grid)
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: g.outputShape, scalars: scalars)
    }

    /// Accumulates `dL/dweight` `[C_out, C_in, K, K]` and, when given, `dL/dbias` `[C_out]` given
    /// `dL/dout` (the bias as one more tap of the weight gradient's product, in the same pass over `dY`).
    static func accumulateWeightGradient(outputGradient: Tensor, input: Tensor, geometry g: Conv2dGeometry,
                                         into weightGradient: UnsafeMutableBufferPointer<Float>,
                                         biasGradient: UnsafeMutableBufferPointer<Float>?) {
        let ho = g.outputHeight, wo = g.outputWidth, pixels = ho * wo, inputCount = g.inputChannels * g.inputHeight * g.inputWidth
        // The bias gradient as one more tap, whose source is ones.
        let ones = biasGradient.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: weightGradientBlockColumns) }
        ones?.initialize(repeating: 1, count: weightGradientBlockColumns)
        defer { ones?.deallocate() }
        var partials = ShiftedProduct.WeightGradientPartials(rows: g.outputChannels, taps: g.patchSize + (ones == nil ? 0 : 1))
        defer {
            partials.finish { o, t, value in
                if t < g.patchSize { weightGradient[o * g.patchSize + t] += value } else { biasGradient![o] += value }
            }
        }
        if g.isPointwise {
            // dW = Σ_n dY_n · X_nᵀ straight from the tensors.
            let offsets = (0..<g.inputChannels).map { $0 * pixels }
            outputGradient.withUnsafeBufferPointer { dy in
                input.withUnsafeBufferPointer { x in
                    for n in 0..<g.batch {
                        for first in stride(from: 0, to: pixels, by: weightGradientBlockColumns) {
                            let block = dy.baseAddress! + n * g.outputChannels * pixels + first
                            let columns = first..<min(first + weightGradientBlockColumns, pixels)
                            ShiftedProduct.weightGradient(block, dOutStride: pixels, source: x.baseAddress! + n * inputCount,
                                                          offsets: offsets, columns: columns, ones: ones, into: &partials)
                        }
                    }
                }
            }
            return
        }
        let planes = PhasePlanes(g, minimumBandColumns: weightGradientBandColumns)
        defer { planes.deallocate() }
        let offsets = planes.tapOffsets
        let span = weightGradientBlockColumns
        let dOut = UnsafeMutableBufferPointer<Float>.allocate(capacity: g.outputChannels * span)
        defer { dOut.deallocate() }
        outputGradient.withUnsafeBufferPointer { dyBuffer in
            input.withUnsafeBufferPointer { xBuffer in
                for n in 0..<g.batch {
                    for band in planes.bands {
                        let source = planes.fill(from: xBuffer.baseAddress! + n * inputCount, band: band)
                        let dy = dyBuffer.baseAddress! + n * g.outputChannels * pixels + band.lowerBound * wo
                        let gridColumns = band.count * planes.width
                        for first in stride(from: 0, to: gridColumns, by: span) {
                            let columns = first..<min(first + span, gridColumns)
                            gridBlock(of: dy, geometry: g, gridWidth: planes.width, columns: columns, into: dOut)
                            ShiftedProduct.weightGradient(dOut.baseAddress!, dOutStride: span, source: source.baseAddress!,
                                                          offsets: offsets, columns: columns, ones: ones, into: &partials)
                        }
                    }
                }
            }
        }
    }

    /// Grid positions `columns` of one sample's `dY` (`[C_out, H_out, W_out]`, from its output row 0)
    /// on a plane grid `gridWidth` wide: `dOut[o, q − columns.lowerBound]`, with row stride
    /// `dOut.count / C_out`, zero in the grid's dropped columns and past the block.
    static func gridBlock(of dy: UnsafePointer<Float>, geometry g: Conv2dGeometry, gridWidth: Int, columns: Range<Int>,
                          into dOut: UnsafeMutableBufferPointer<Float>) {
        let wo = g.outputWidth, pixels = g.outputHeight * wo, stride = dOut.count / g.outputChannels
        dOut.update(repeating: 0)
        for row in (columns.lowerBound / gridWidth)..<((columns.upperBound - 1) / gridWidth + 1) {
            let lo = max(0, columns.lowerBound - row * gridWidth), hi = min(wo, columns.upperBound - row * gridWidth)
            guard hi > lo else { continue }
            let to = row * gridWidth - columns.lowerBound
            for o in 0..<g.outputChannels {
                Conv2d.copy(dy + o * pixels + row * wo + lo, into: dOut.baseAddress! + o * stride + to + lo, count: hi - lo)
            }
        }
    }

    /// Grid columns per block of the input gradient: whole tiles whose `dY` block, `[C_out × columns]`,
    /// fits in 24 KiB, so it stays in L1 while every row tile reads it (8 tiles for 32 channels:
    /// 8–9 % faster than 32 tiles on the UNet's first strided layer, measured in-process).
    static func inputGradientBlockColumns(outputChannels: Int) -> Int {
        max(1, (24 << 10) / (outputChannels * ShiftedProduct.tileColumns * MemoryLayout<Float>.size)) * ShiftedProduct.tileColumns
    }

    /// `dL/dinput` `[N, C_in, H, W]` given `dL/dout`, as the adjoint of `forward`:
    /// `dP[off[t] + q] += Σ_o W[o, t] · dY[o, q]` into one sample's phase planes
    /// (`ShiftedProduct.multiplyAdd`), then each plane position back onto its input pixel (padding dropped).
    static func inputGradient(outputGradient: Tensor, weight: UnsafeBufferPointer<Float>, geometry g: Conv2dGeometry) -> Tensor {
        let shape = PhasePlanes.Shape(g), s = g.stride, p = g.padding
        let offsets = PhasePlanes.tapOffsets(g, height: shape.height, width: shape.width)
        let planeSize = shape.height * shape.width, planeCount = g.inputChannels * s * s * planeSize
        let ho = g.outputHeight, wo = g.outputWidth, h = g.inputHeight, w = g.inputWidth
        let gridColumns = ho * shape.width, span = inputGradientBlockColumns(outputChannels: g.outputChannels)
        let planes = UnsafeMutableBufferPointer<Float>.allocate(
            capacity: max(planeCount, offsets.max()! + roundUp(gridColumns, to: span)) + 8)
        defer { planes.deallocate() }
        let dOut = UnsafeMutableBufferPointer<Float>.allocate(capacity: g.outputChannels * span)
        defer { dOut.deallocate() }
        let packed = ShiftedProduct.PackedWeights(rows: g.patchSize, taps: g.outputChannels) { t, o in
            weight[o * g.patchSize + t]
        }
        let sourceOffsets = (0..<g.outputChannels).map { $0 * span }
        let scalars = [Float](unsafeUninitializedCapacity: g.inputShape.reduce(1, *)) { dxBuffer, initialized in
            initialized = dxBuffer.count
            outputGradient.withUnsafeBufferPointer { dyBuffer in
                for n in 0..<g.batch {
                    planes.update(repeating: 0)
                    let dy = dyBuffer.baseAddress! + n * g.outputChannels * ho * wo
                    for first in stride(from: 0, to: gridColumns, by: span) {
                        let columns = first..<min(first + span, gridColumns)
                        gridBlock(of: dy, geometry: g, gridWidth: shape.width, columns: columns, into: dOut)
                        ShiftedProduct.multiplyAdd(packed, source: dOut.baseAddress!, offsets: sourceOffsets,
                                                   columns: 0..<columns.count, into: planes.baseAddress! + first,
                                                   rowOffsets: offsets, sweep: .rowTilesOuter)
                    }
                    let dx = dxBuffer.baseAddress! + n * g.inputChannels * h * w
                    let phases = ColumnPhases(geometry: g, planeStride: planeSize)
                    for c in 0..<g.inputChannels {
                        for iy in 0..<h {
                            let a = (iy + p) % s, r = (iy + p) / s
                            phases.merge(planes.baseAddress! + (c * s + a) * s * planeSize + r * shape.width,
                                         into: dx + (c * h + iy) * w)
                        }
                    }
                }
            }
        }
        return Tensor(shape: g.inputShape, scalars: scalars)
    }
}

extension DirectConv2d.PhasePlanes {
    /// Plane extents alone, `Hq = ⌈(H + 2p)/s⌉`, `Wq = ⌈(W + 2p)/s⌉`.
    struct Shape {
        let height, width: Int
        init(_ g: Conv2dGeometry) {
            height = (g.inputHeight + 2 * g.padding + g.stride - 1) / g.stride
            width = (g.inputWidth + 2 * g.padding + g.stride - 1) / g.stride
        }
    }
}

extension DirectConv2d {
    /// One input row `[W]` against its s column phases, the rows of planes `b = 0 ..< s` of one
    /// phase row, `planeStride` apart: `phase[b][j] = row[s·j + b − p]`. Only positions whose input
    /// column `k − p` (`k = s·j + b`) lies in `0 ..< W` are read or written; the plane positions
    /// that fall in the padding are left as they are.
    struct ColumnPhases {
        let width, padding, stride, planeStride: Int
        /// The phase index `j` range moved as sixteen-float pairs (stride 2): `2j ≥ p` and `2j + 16 ≤ W + p`.
        let vectorStart, vectorEnd: Int

        init(geometry g: Conv2dGeometry, planeStride: Int) {
            (width, padding, stride, self.planeStride) = (g.inputWidth, g.padding, g.stride, planeStride)
            vectorStart = (padding + 1) / 2
            let end = (width + padding - 16) / 2 + 1
            vectorEnd = stride == 2 && end - vectorStart >= 8 ? end : vectorStart
        }

        /// `phase[b][j] = row[s·j + b − p]`.
        @inline(__always)
        func split(_ row: UnsafePointer<Float>, into phase: UnsafeMutablePointer<Float>) {
            let shifted = row - padding
            if stride == 1 {
                Conv2d.copy(row, into: phase + padding, count: width)
                return
            }
            var j = vectorStart
            while j < vectorEnd {
                // The last step overlaps the previous one, rewriting the same values.
                j = min(j, vectorEnd - 8)
                let pairs = UnsafeRawPointer(shifted + 2 * j).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(phase + j).storeBytes(of: pairs.evenHalf, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(phase + planeStride + j).storeBytes(of: pairs.oddHalf, as: SIMD8<Float>.self)
                j += 8
            }
            forEachScalar { k, j, b in phase[b * planeStride + j] = shifted[k] }
        }

        /// `row[s·j + b − p] = phase[b][j]`.
        @inline(__always)
        func merge(_ phase: UnsafePointer<Float>, into row: UnsafeMutablePointer<Float>) {
            let shifted = row - padding
            if stride == 1 {
                Conv2d.copy(phase + padding, into: row, count: width)
                return
            }
            var j = vectorStart
            while j < vectorEnd {
                j = min(j, vectorEnd - 8)
                var pairs = SIMD16<Float>()
                pairs.evenHalf = UnsafeRawPointer(phase + j).loadUnaligned(as: SIMD8<Float>.self)
                pairs.oddHalf = UnsafeRawPointer(phase + planeStride + j).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(shifted + 2 * j).storeBytes(of: pairs, as: SIMD16<Float>.self)
                j += 8
            }
            forEachScalar { k, j, b in shifted[k] = phase[b * planeStride + j] }
        }

        /// Calls `body(k, j, b)`, `k = s·j + b`, for the positions `k ∈ p ..< W + p` outside the vector steps.
        @inline(__always)
        private func forEachScalar(_ body: (_ k: Int, _ j: Int, _ b: Int) -> Void) {
            func positions(_ phases: Range<Int>) {
                for j in phases {
                    for b in 0..<stride {
                        let k = stride * j + b
                        if k >= padding && k < width + padding { body(k, j, b) }
                    }
                }
            }
            positions(0..<vectorStart)
            positions(vectorEnd..<max(vectorEnd, (width + padding + stride - 1) / stride))
        }
    }

    /// The packed tap views of one product block, for 1×1 kernels (`ShiftedProduct.multiply`).
    struct ProductPacking {
        let buffer: UnsafeMutablePointer<Float>?

        init(taps: Int, enabled: Bool) {
            buffer = enabled ? .allocate(capacity: taps * DirectConv2d.blockColumns) : nil
        }

        func deallocate() { buffer?.deallocate() }

        /// `ShiftedProduct.multiply` over `columns`. Unpacked products read `source` up to
        /// `max(offsets)` plus the tile-rounded range end; packed ones read only inside it.
        func multiply(_ w: ShiftedProduct.PackedWeights, source: UnsafeBufferPointer<Float>, offsets: [Int],
                      columns: Range<Int>, into grid: ShiftedProduct.OutputGrid) {
            precondition(buffer != nil
                         || offsets.max()! + roundUp(columns.upperBound, to: ShiftedProduct.tileColumns) <= source.count,
                         "DirectConv2d: product reads past its source")
            ShiftedProduct.multiply(w, source: source.baseAddress!, offsets: offsets, columns: columns, into: grid,
                                    packing: buffer.map { ($0, source.count) })
        }
    }
}

/// The least multiple of `m` that is `>= value`.
@inline(__always)
func roundUp(_ value: Int, to m: Int) -> Int { (value + m - 1) / m * m }

extension DirectConv2d {
    /// Whether `Conv2d.Algorithm.automatic` takes the direct path for `pass` of `g` next to a BLAS
    /// with `vectors`, from `mstrain-dist bench kernels --algorithm direct|im2col-gemm`
    /// (docs/performance.md). Outputs smaller than 16×16 stay on GEMM, which puts several samples
    /// into one product. Above that:
    /// - `fma256` (measured on the UNet's layers at 128², 32² and 16²): direct for the forward when
    ///   it has at most 64 output channels (at 128 OpenBLAS is as fast or slightly faster), for the
    ///   input gradient when either channel count is at most 64, and for every weight gradient;
    ///   1×1 kernels for the forward and input gradient (the packed product), not the weight gradient.
    ///   Both gradients of a 1×1 layer in one pass (`.backward`, `PointwiseBackward`) when it has at
    ///   least as many output as input channels: it saves the second read of `dY`, the larger
    ///   tensor there (time of the two passes / one pass: enc1 skip 1.04–1.22, enc2 skip
    ///   0.98–1.25); where `X` and `dX` are the larger ones, their transposes and short writes cost
    ///   more than that saves (dec0, dec1 and dec2 skip 0.75–1.02).
    /// - `narrow`: direct for every pass (it ran at 1.2–2.5× the sgemm rate of OpenBLAS's Prescott
    ///   kernel), and the 1×1 backward in one pass under the same condition as `fma256`.
    /// - `fma512`: direct only for strided layers and, except 1×1 kernels, for the forward and weight
    ///   gradient of layers with at most 32 output channels; 512-bit GEMM is faster elsewhere. The
    ///   1×1 backward keeps its two passes there (the one-pass kernel was not measured with it).
    static func isPreferred(for g: Conv2dGeometry, pass: Conv2d.Pass, vectors: Conv2d.BLASVectors) -> Bool {
        guard g.outputHeight * g.outputWidth >= 256 else { return false }
        let widening = g.isPointwise && g.outputChannels >= g.inputChannels
        switch vectors {
        case .narrow:
            return pass != .backward || widening
        case .fma512:
            if pass == .backward { return false }
            if g.stride > 1 { return true }
            let thinPass = pass == .forward || pass == .weightGradient && !g.isPointwise
            return thinPass && g.outputChannels <= 32
        case .fma256:
            switch pass {
            case .forward: return g.isPointwise || g.outputChannels <= 64
            case .inputGradient: return g.isPointwise || min(g.inputChannels, g.outputChannels) <= 64
            case .weightGradient: return !g.isPointwise
            case .backward: return widening
            }
        }
    }
}
