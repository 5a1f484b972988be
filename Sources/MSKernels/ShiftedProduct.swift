// Legend: O output rows, T taps, q a column (a position in the flat source), off[t] the offset
// of tap t. A "tile" is 4 output rows × 24 columns (three 8-lane vectors), the register block of
// the multiply kernel; 4 rows × 3 taps is the register block of the weight-gradient kernel.

/// Products of a weight matrix with shifted views of one flat source array, the core of the
/// direct convolution (`DirectConv2d`):
///
///     multiply:        out[o, q] = Σ_t W[o, t] · src[off[t] + q]
///     weightGradient:  dW[o, t] += Σ_q dOut[o, q] · src[off[t] + q]
///
/// With `src` a zero-padded image and `off[t]` the flat offset of kernel tap `t`, `multiply` is a
/// convolution evaluated on the padded image's grid without an im2col matrix: each tap's view is
/// the source itself, shifted. `multiply` processes columns in tiles of `tileColumns`, so its
/// callers pass column ranges whose start is a multiple of it and sources readable up to
/// `max(off) +` the range's end rounded up to a tile.
enum ShiftedProduct {
    typealias Vector = SIMD8<Float>
    /// Output rows per register tile.
    static let tileRows = 4
    /// Columns per register tile of `multiply` (three vectors).
    static let tileColumns = 24
    /// Taps per register tile of `weightGradient`.
    static let tileTaps = 3

    /// `W [O × T]` reordered as `[⌈O/4⌉][T][4]`, zero in the rows past `O`, so that one tile's four
    /// weights of a tap are adjacent, and the bias `[O]` each output row starts from (zero past `O`).
    struct PackedWeights {
        let rows, taps: Int
        let values: [Float]
        let bias: [Float]

        var rowTiles: Int { (rows + tileRows - 1) / tileRows }

        /// `weight(o, t)` for `o < rows`, `t < taps`; `bias` `[rows]` or nil for none.
        init(rows: Int, taps: Int, bias: UnsafeBufferPointer<Float>? = nil, _ weight: (_ row: Int, _ tap: Int) -> Float) {
            precondition(bias == nil || bias!.count == rows, "ShiftedProduct.PackedWeights: bias has \(bias!.count) elements, expected \(rows)")
            self.rows = rows
            self.taps = taps
            let paddedRows = roundUp(rows, to: ShiftedProduct.tileRows)
            var values = [Float](repeating: 0, count: paddedRows * taps)
            for o in 0..<rows {
                for t in 0..<taps {
                    values[((o / ShiftedProduct.tileRows) * taps + t) * ShiftedProduct.tileRows + o % ShiftedProduct.tileRows]
                        = weight(o, t)
                }
            }
            self.values = values
            self.bias = (0..<paddedRows).map { o in o < rows ? bias?[o] ?? 0 : 0 }
        }
    }

    /// Where `multiply` writes: column `q` of output row `o` is grid position
    /// `(r, j) = (q / width, q mod width)` and goes to
    /// `base[origin + o·rowStride + r·gridRowStride + j·columnStride]` when `r ∈ rows` and `j ∈ columns`;
    /// other positions (the padded grid's extra columns, rows outside the image) are dropped.
    struct OutputGrid {
        let base: UnsafeMutablePointer<Float>
        let origin, rowStride, width, gridRowStride, columnStride: Int
        let rows, columns: Range<Int>

        /// Whether the eight positions from `(r, j)` on are all kept and contiguous.
        @inline(__always)
        func keepsVector(r: Int, j: Int) -> Bool {
            columnStride == 1 && j >= columns.lowerBound && j + 8 <= columns.upperBound && rows.contains(r)
        }

        @inline(__always)
        func address(row o: Int, r: Int, j: Int) -> UnsafeMutablePointer<Float> {
            base + (origin + o * rowStride + r * gridRowStride + j * columnStride)
        }

        /// Stores `block[o · blockStride + q − columns.lowerBound]` for output rows `o < rows` and the
        /// kept positions of `columns`, row segment by row segment.
        func store(_ block: UnsafePointer<Float>, blockStride: Int, rows outputRows: Int, columns range: Range<Int>) {
            precondition(columnStride == 1, "ShiftedProduct.OutputGrid: block stores need contiguous grid rows")
            for o in 0..<outputRows {
                for r in (range.lowerBound / width)...((range.upperBound - 1) / width) where rows.contains(r) {
                    let lo = max(range.lowerBound, r * width + columns.lowerBound)
                    let hi = min(range.upperBound, r * width + columns.upperBound)
                    guard hi > lo else { continue }
                    Conv2d.copy(block + o * blockStride + lo - range.lowerBound, into: address(row: o, r: r, j: lo - r * width),
                                count: hi - lo)
                }
            }
        }

        /// Stores lanes of `v` (positions `(r, j) ... (r, j + 7)`, wrapping to the next grid row) that are kept.
        @inline(__always)
        func store(_ v: Vector, row o: Int, r: Int, j: Int) {
            if keepsVector(r: r, j: j) {
                ShiftedProduct.store(v, address(row: o, r: r, j: j))
                return
            }
            if j + Vector.scalarCount <= width && (j >= columns.upperBound || j + Vector.scalarCount <= columns.lowerBound
                                                   || !rows.contains(r)) {
                return  // Within one grid row and entirely dropped.
            }
            var (r, j) = (r, j)
            for lane in 0..<Vector.scalarCount {
                if rows.contains(r) && columns.contains(j) { address(row: o, r: r, j: j).pointee = v[lane] }
                j += 1
                if j == width { (r, j) = (r + 1, 0) }
            }
        }
    }

    /// `out[o, q] = bias[o] + Σ_t W[o, t] · src[off[t] + q]` for `o < W.rows` and `q ∈ columns`, written
    /// through `grid`. `columns.lowerBound` is a multiple of 24 and the last tile reads `src` up to
    /// the range end rounded up to 24.
    ///
    /// With `packing` (at least `T · columns.count` rounded up to 24, floats) each tile's tap views
    /// are first copied side by side, reading `src` only below `readableEnd` (zeros past it): worth
    /// it when taps are far apart in memory (1×1 kernels), where the unpacked kernel's T scattered
    /// streams defeat the prefetcher.
    static func multiply(_ w: PackedWeights, source: UnsafePointer<Float>, offsets: [Int], columns: Range<Int>,
                         into grid: OutputGrid, packing: (buffer: UnsafeMutablePointer<Float>, readableEnd: Int)? = nil) {
        precondition(offsets.count == w.taps, "ShiftedProduct.multiply: \(offsets.count) offsets for \(w.taps) taps")
        precondition(columns.lowerBound % tileColumns == 0, "ShiftedProduct.multiply: range \(columns) not tile-aligned")
        let tiles = (columns.count + tileColumns - 1) / tileColumns
        w.values.withUnsafeBufferPointer { weights in
            w.bias.withUnsafeBufferPointer { bias in
                func tile(_ rowTile: Int, _ tile: Int, offsets: UnsafePointer<Int>, source: UnsafePointer<Float>) {
                    multiplyTile(taps: w.taps, offsets: offsets, weights: weights.baseAddress! + rowTile * w.taps * tileRows,
                                 bias: bias.baseAddress! + rowTile * tileRows, source: source,
                                 into: GridTile(grid: grid, firstRow: rowTile * tileRows, rows: min(tileRows, w.rows - rowTile * tileRows),
                                                firstColumn: columns.lowerBound + tile * tileColumns, end: columns.upperBound))
                }
                if let packing {
                    // Tap by tap, so each tap's view is read in one sequential run.
                    for t in 0..<w.taps {
                        for tile in 0..<tiles {
                            let first = columns.lowerBound + tile * tileColumns
                            // The hardware prefetcher joins each tap's short run late, so the run two
                            // taps ahead is requested meanwhile.
                            if t + 2 < w.taps {
                                Prefetch.lines(from: source + offsets[t + 2] + first, bytes: tileColumns * 4)
                            }
                            copyTile(from: source + offsets[t] + first, readable: packing.readableEnd - offsets[t] - first,
                                     into: packing.buffer + (tile * w.taps + t) * tileColumns)
                        }
                    }
                    let packedOffsets = (0..<w.taps).map { $0 * tileColumns }
                    packedOffsets.withUnsafeBufferPointer { offsets in
                        for rowTile in 0..<w.rowTiles {
                            for t in 0..<tiles {
                                tile(rowTile, t, offsets: offsets.baseAddress!, source: packing.buffer + t * w.taps * tileColumns)
                            }
                        }
                    }
                } else {
                    offsets.withUnsafeBufferPointer { offsets in
                        for rowTile in 0..<w.rowTiles {
                            for t in 0..<tiles {
                                tile(rowTile, t, offsets: offsets.baseAddress!, source: source + columns.lowerBound + t * tileColumns)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The order in which `multiplyAdd` visits its tiles.
    enum Sweep {
        /// All row tiles of one column tile, then the next column tile: the tile's source stays in L1
        /// while every row tile reads it (a large source: a convolution's input planes).
        case columnTilesOuter
        /// All column tiles of one row tile, then the next: each row tile's destination rows are
        /// written in one sequential run (a large, scattered destination: the input gradient's planes).
        case rowTilesOuter
    }

    /// `dst[rowOffsets[o] + q] += Σ_t W[o, t] · src[off[t] + q]` for `o < W.rows` and `q ∈ columns`
    /// rounded up to whole tiles (24 columns, `columns.lowerBound` a multiple of it): `src` must be
    /// readable and `dst` writable up to there (a zero `src` past the range leaves `dst` as it was).
    /// With shifted `rowOffsets` it is the adjoint of `multiply`, the roles of taps and rows
    /// exchanged: it scatters a product back onto shifted views.
    static func multiplyAdd(_ w: PackedWeights, source: UnsafePointer<Float>, offsets: [Int], columns: Range<Int>,
                            into destination: UnsafeMutablePointer<Float>, rowOffsets: [Int], sweep: Sweep) {
        precondition(offsets.count == w.taps && rowOffsets.count == w.rows,
                     "ShiftedProduct.multiplyAdd: \(offsets.count) offsets for \(w.taps) taps, \(rowOffsets.count) for \(w.rows) rows")
        precondition(columns.lowerBound % tileColumns == 0, "ShiftedProduct.multiplyAdd: range \(columns) not tile-aligned")
        let tiles = (columns.count + tileColumns - 1) / tileColumns
        w.values.withUnsafeBufferPointer { weights in
            w.bias.withUnsafeBufferPointer { bias in
                offsets.withUnsafeBufferPointer { offsets in
                    rowOffsets.withUnsafeBufferPointer { rowOffsets in
                        func tile(_ rowTile: Int, _ tile: Int) {
                            let first = rowTile * tileRows, q = columns.lowerBound + tile * tileColumns
                            multiplyTile(taps: w.taps, offsets: offsets.baseAddress!,
                                         weights: weights.baseAddress! + rowTile * w.taps * tileRows,
                                         bias: bias.baseAddress! + first, source: source + q,
                                         into: AddedTile(destination: destination + q, rowOffsets: rowOffsets.baseAddress! + first,
                                                         rows: min(tileRows, w.rows - first)))
                        }
                        switch sweep {
                        case .columnTilesOuter:
                            for t in 0..<tiles {
                                for rowTile in 0..<w.rowTiles { tile(rowTile, t) }
                            }
                        case .rowTilesOuter:
                            for rowTile in 0..<w.rowTiles {
                                for t in 0..<tiles { tile(rowTile, t) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Where the sums of one 4 × 24 tile go: row `r`'s three vectors are `a<r>0`, `a<r>1`, `a<r>2`
    /// (columns 0..<8, 8..<16, 16..<24 of the tile).
    protocol TileSink {
        func take(_ a00: Vector, _ a01: Vector, _ a02: Vector, _ a10: Vector, _ a11: Vector, _ a12: Vector,
                  _ a20: Vector, _ a21: Vector, _ a22: Vector, _ a30: Vector, _ a31: Vector, _ a32: Vector)
    }

    /// One 4 × 24 tile, `sums[r, j] = bias[r] + Σ_t weights[4t + r] · source[offsets[t] + j]`, handed to `sink`.
    @inline(__always)
    static func multiplyTile<Sink: TileSink>(taps: Int, offsets: UnsafePointer<Int>, weights: UnsafePointer<Float>,
                                             bias: UnsafePointer<Float>, source: UnsafePointer<Float>, into sink: Sink) {
        let b0 = Vector(repeating: bias[0]), b1 = Vector(repeating: bias[1])
        let b2 = Vector(repeating: bias[2]), b3 = Vector(repeating: bias[3])
        var a00 = b0, a01 = b0, a02 = b0, a10 = b1, a11 = b1, a12 = b1
        var a20 = b2, a21 = b2, a22 = b2, a30 = b3, a31 = b3, a32 = b3
        var w = weights
        for t in 0..<taps {
            let s = source + offsets[t]
            let x0 = load(s), x1 = load(s + 8), x2 = load(s + 16)
            var b = Vector(repeating: w[0])
            a00 = a00.addingProduct(b, x0); a01 = a01.addingProduct(b, x1); a02 = a02.addingProduct(b, x2)
            b = Vector(repeating: w[1])
            a10 = a10.addingProduct(b, x0); a11 = a11.addingProduct(b, x1); a12 = a12.addingProduct(b, x2)
            b = Vector(repeating: w[2])
            a20 = a20.addingProduct(b, x0); a21 = a21.addingProduct(b, x1); a22 = a22.addingProduct(b, x2)
            b = Vector(repeating: w[3])
            a30 = a30.addingProduct(b, x0); a31 = a31.addingProduct(b, x1); a32 = a32.addingProduct(b, x2)
            w += tileRows
        }
        sink.take(a00, a01, a02, a10, a11, a12, a20, a21, a22, a30, a31, a32)
    }

    /// `multiply`'s sink: rows `firstRow ..< firstRow + rows`, columns `firstColumn ..< min(firstColumn + 24, end)`,
    /// stored through `grid`.
    struct GridTile: TileSink {
        let grid: OutputGrid
        let firstRow, rows, firstColumn, end: Int

        @inline(__always)
        func take(_ a00: Vector, _ a01: Vector, _ a02: Vector, _ a10: Vector, _ a11: Vector, _ a12: Vector,
                  _ a20: Vector, _ a21: Vector, _ a22: Vector, _ a30: Vector, _ a31: Vector, _ a32: Vector) {
            let r0 = firstColumn / grid.width, j0 = firstColumn - r0 * grid.width
            if rows == tileRows && end - firstColumn >= tileColumns && grid.columnStride == 1 && grid.rows.contains(r0)
                && j0 >= grid.columns.lowerBound && j0 + tileColumns <= grid.columns.upperBound {
                // The whole tile lies inside one kept grid row: four rows of three contiguous vectors.
                var row = grid.address(row: firstRow, r: r0, j: j0)
                store(a00, row); store(a01, row + 8); store(a02, row + 16)
                row += grid.rowStride
                store(a10, row); store(a11, row + 8); store(a12, row + 16)
                row += grid.rowStride
                store(a20, row); store(a21, row + 8); store(a22, row + 16)
                row += grid.rowStride
                store(a30, row); store(a31, row + 8); store(a32, row + 16)
                return
            }
            // Grid positions of the three vectors, shared by the four rows.
            var (r1, j1) = (r0, j0 + 8)
            if j1 >= grid.width { (r1, j1) = (r1 + j1 / grid.width, j1 % grid.width) }
            var (r2, j2) = (r1, j1 + 8)
            if j2 >= grid.width { (r2, j2) = (r2 + j2 / grid.width, j2 % grid.width) }
            let vectors = min(3, (end - firstColumn + 7) / 8)
            let tail = end - firstColumn < tileColumns
            func put(_ v0: Vector, _ v1: Vector, _ v2: Vector, row r: Int) {
                guard r < rows else { return }
                let o = firstRow + r
                if !tail {
                    grid.store(v0, row: o, r: r0, j: j0); grid.store(v1, row: o, r: r1, j: j1); grid.store(v2, row: o, r: r2, j: j2)
                    return
                }
                // The range's last tile: lanes at or past `end` belong to no output.
                let lanes = [v0, v1, v2]
                for v in 0..<vectors {
                    for lane in 0..<Vector.scalarCount where firstColumn + 8 * v + lane < end {
                        let q = firstColumn + 8 * v + lane, r = q / grid.width, j = q % grid.width
                        if grid.rows.contains(r) && grid.columns.contains(j) { grid.address(row: o, r: r, j: j).pointee = lanes[v][lane] }
                    }
                }
            }
            put(a00, a01, a02, row: 0)
            put(a10, a11, a12, row: 1)
            put(a20, a21, a22, row: 2)
            put(a30, a31, a32, row: 3)
        }
    }

    /// `multiplyAdd`'s sink: row `r < rows` of the tile is added to `destination[rowOffsets[r] ..< rowOffsets[r] + 24]`.
    struct AddedTile: TileSink {
        let destination: UnsafeMutablePointer<Float>
        let rowOffsets: UnsafePointer<Int>
        let rows: Int

        @inline(__always)
        func take(_ a00: Vector, _ a01: Vector, _ a02: Vector, _ a10: Vector, _ a11: Vector, _ a12: Vector,
                  _ a20: Vector, _ a21: Vector, _ a22: Vector, _ a30: Vector, _ a31: Vector, _ a32: Vector) {
            func add(_ r: Int, _ v0: Vector, _ v1: Vector, _ v2: Vector) {
                guard r < rows else { return }
                let d = destination + rowOffsets[r]
                store(load(d) + v0, d)
                store(load(d + 8) + v1, d + 8)
                store(load(d + 16) + v2, d + 16)
            }
            add(0, a00, a01, a02)
            add(1, a10, a11, a12)
            add(2, a20, a21, a22)
            add(3, a30, a31, a32)
        }
    }

    /// `destination[j] = source[j]` for `j < min(24, readable)`, zero after.
    @inline(__always)
    static func copyTile(from source: UnsafePointer<Float>, readable: Int, into destination: UnsafeMutablePointer<Float>) {
        if readable >= tileColumns {
            store(load(source), destination)
            store(load(source + 8), destination + 8)
            store(load(source + 16), destination + 16)
        } else {
            for j in 0..<tileColumns { destination[j] = j < readable ? source[j] : 0 }
        }
    }

    /// Lane partial sums of `weightGradient`, `[⌈O/4⌉][⌈T/3⌉][4][3]` vectors; `finish` reduces them.
    struct WeightGradientPartials {
        let rows, taps: Int
        var lanes: [Float]

        var rowTiles: Int { (rows + tileRows - 1) / tileRows }
        var tapTiles: Int { (taps + tileTaps - 1) / tileTaps }

        init(rows: Int, taps: Int) {
            self.rows = rows
            self.taps = taps
            let tiles = ((rows + tileRows - 1) / tileRows) * ((taps + tileTaps - 1) / tileTaps)
            lanes = [Float](repeating: 0, count: tiles * tileRows * tileTaps * Vector.scalarCount)
        }

        /// Adds `dW[o, t]` (the lanes' sums) to `gradient(o, t)`.
        func finish(_ add: (_ row: Int, _ tap: Int, _ value: Float) -> Void) {
            for o in 0..<rows {
                for t in 0..<taps {
                    let tile = (o / tileRows) * tapTiles + t / tileTaps
                    let base = ((tile * tileRows + o % tileRows) * tileTaps + t % tileTaps) * Vector.scalarCount
                    add(o, t, lanes[base..<(base + Vector.scalarCount)].reduce(0, +))
                }
            }
        }
    }

    /// Accumulates `Σ_{q ∈ columns} dOut[o, q − columns.lowerBound] · src[off[t] + q]` into
    /// `partials` for every `o < partials.rows`, `t`. `dOut` has row stride `dOutStride`; `src` is
    /// read at `off[t] + q` for `q ∈ columns` only. With `ones` (at least `columns.count` ones),
    /// one more tap after the last reads it, so that tap `T` of `partials` (which then has `T + 1`)
    /// sums each row of `dOut`: the bias gradient, in the same pass over `dOut`, and free when T is
    /// not a multiple of the tile's 3 taps.
    static func weightGradient(_ dOut: UnsafePointer<Float>, dOutStride: Int, source: UnsafePointer<Float>,
                               offsets: [Int], columns: Range<Int>, ones: UnsafePointer<Float>? = nil,
                               into partials: inout WeightGradientPartials) {
        precondition(offsets.count + (ones == nil ? 0 : 1) == partials.taps,
                     "ShiftedProduct.weightGradient: \(offsets.count) offsets\(ones == nil ? "" : " and ones") for \(partials.taps) taps")
        let width = Vector.scalarCount, vectors = columns.count / width, tail = vectors * width
        // Taps past T repeat the last source and rows past O read zeros; their sums land in lanes
        // `finish` never reads.
        let tapTiles = partials.tapTiles, rowTiles = partials.rowTiles, rows = partials.rows
        var sources = offsets.map { source + $0 + columns.lowerBound } + (ones.map { [$0] } ?? [])
        sources += Array(repeating: sources.last!, count: tapTiles * tileTaps - sources.count)
        let zeros = [Float](repeating: 0, count: rows % tileRows == 0 ? 0 : columns.count)
        zeros.withUnsafeBufferPointer { zeros in
            partials.lanes.withUnsafeMutableBufferPointer { lanes in
                for rowTile in 0..<rowTiles {
                    let row = { (r: Int) -> UnsafePointer<Float> in
                        rowTile * tileRows + r < rows ? dOut + (rowTile * tileRows + r) * dOutStride : zeros.baseAddress!
                    }
                    let dRows = (row(0), row(1), row(2), row(3))
                    for tapTile in 0..<tapTiles {
                        let tile = lanes.baseAddress! + (rowTile * tapTiles + tapTile) * tileRows * tileTaps * width
                        let tapSources = (sources[tapTile * tileTaps], sources[tapTile * tileTaps + 1],
                                          sources[tapTile * tileTaps + 2])
                        weightGradientTile(vectors: vectors, dOut: dRows, sources: tapSources, lanes: tile)
                        // Columns past the last full vector, into lane 0.
                        guard tail < columns.count else { continue }
                        let d = [dRows.0, dRows.1, dRows.2, dRows.3], x = [tapSources.0, tapSources.1, tapSources.2]
                        for j in tail..<columns.count {
                            for r in 0..<tileRows {
                                for t in 0..<tileTaps { tile[(r * tileTaps + t) * width] += d[r][j] * x[t][j] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One 4-row × 3-tap tile: `lanes[r][t] += Σ_v dOut.r[8v ..< 8v+8] · sources.t[8v ..< 8v+8]`.
    @inline(__always)
    static func weightGradientTile(vectors: Int,
                                   dOut: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                                   sources: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                                   lanes: UnsafeMutablePointer<Float>) {
        let width = Vector.scalarCount
        var a00 = load(lanes), a01 = load(lanes + width), a02 = load(lanes + 2 * width)
        var a10 = load(lanes + 3 * width), a11 = load(lanes + 4 * width), a12 = load(lanes + 5 * width)
        var a20 = load(lanes + 6 * width), a21 = load(lanes + 7 * width), a22 = load(lanes + 8 * width)
        var a30 = load(lanes + 9 * width), a31 = load(lanes + 10 * width), a32 = load(lanes + 11 * width)
        let (d0, d1, d2, d3) = dOut
        for v in 0..<vectors {
            let j = v * width
            let x0 = load(sources.0 + j), x1 = load(sources.1 + j), x2 = load(sources.2 + j)
            var d = load(d0 + j)
            a00 = a00.addingProduct(d, x0); a01 = a01.addingProduct(d, x1); a02 = a02.addingProduct(d, x2)
            d = load(d1 + j)
            a10 = a10.addingProduct(d, x0); a11 = a11.addingProduct(d, x1); a12 = a12.addingProduct(d, x2)
            d = load(d2 + j)
            a20 = a20.addingProduct(d, x0); a21 = a21.addingProduct(d, x1); a22 = a22.addingProduct(d, x2)
            d = load(d3 + j)
            a30 = a30.addingProduct(d, x0); a31 = a31.addingProduct(d, x1); a32 = a32.addingProduct(d, x2)
        }
        store(a00, lanes); store(a01, lanes + width); store(a02, lanes + 2 * width)
        store(a10, lanes + 3 * width); store(a11, lanes + 4 * width); store(a12, lanes + 5 * width)
        store(a20, lanes + 6 * width); store(a21, lanes + 7 * width); store(a22, lanes + 8 * width)
        store(a30, lanes + 9 * width); store(a31, lanes + 10 * width); store(a32, lanes + 11 * width)
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }
}
