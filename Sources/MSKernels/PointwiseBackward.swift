import CTranspose
import MSTensor

/// Both gradients of a 1×1 convolution (stride 1, no padding) in one pass over `dY`:
///
///     dX[n, i, q] = Σ_o W[o, i] · dY[n, o, q]
///     dW[o, i]   += Σ_{n,q} dY[n, o, q] · X[n, i, q]      db[o] += Σ_{n,q} dY[n, o, q]
///
/// with `o < C_out`, `i < C_in` and `q` a pixel. The two passes of a thin 1×1 layer do few
/// multiply-adds per element they move (`C_in·C_out/(C_in + C_out)`), so run separately they
/// wait on memory: each reads `dY`, and its rows, read in short runs at a plane's stride, defeat
/// the hardware prefetcher. Here the pixels of one sample go in chunks of `chunkColumns`:
/// - the chunk's `dY` rows are copied into a buffer `[C_out][stride]` that stays in L1 and feeds
///   both products (summing the bias gradient on the way);
/// - its `X` rows are transposed to pixel-major `[chunk][C_in]` (`C_in` rounded up to 16);
/// - the weight gradient's register tile is 6 output channels × 16 input channels, twelve
///   accumulators that take `dY` as broadcasts and `X` as vectors over the whole chunk;
/// - the input gradient is `ShiftedProduct.multiply` of `Wᵀ` with the buffer, one tap per output
///   channel, written straight into `dX`;
/// - meanwhile the next chunk's rows are prefetched, so its copy finds them in cache.
enum PointwiseBackward {
    typealias Vector = SIMD8<Float>
    /// Output channels per register tile of the weight gradient.
    static let tileOutputs = 6
    /// Input channels per register tile of the weight gradient (two vectors).
    static let tileInputs = 16
    /// Pixels per chunk: as many multiples of 24 (the multiply's tile) as keep the `dY` buffer
    /// near 24 KiB, from 24 to 96.
    static func chunkColumns(outputChannels: Int) -> Int {
        max(ShiftedProduct.tileColumns, min(96, 6144 / outputChannels / ShiftedProduct.tileColumns * ShiftedProduct.tileColumns))
    }

    /// Returns `dX` `[N, C_in, H, W]` and adds `dW` `[C_out, C_in, 1, 1]` into `weightGradient`
    /// and, when given, `db` into `biasGradient`.
    static func backward(outputGradient: Tensor, input: Tensor, weight: UnsafeBufferPointer<Float>, geometry g: Conv2dGeometry,
                         weightGradient: UnsafeMutableBufferPointer<Float>, biasGradient: UnsafeMutableBufferPointer<Float>?) -> Tensor {
        precondition(g.isPointwise, "PointwiseBackward: needs a 1×1 convolution with stride 1 and no padding, got \(g)")
        let outputs = g.outputChannels, inputs = g.inputChannels, pixels = g.outputHeight * g.outputWidth
        let chunk = chunkColumns(outputChannels: outputs)
        let work = Workspace(outputs: outputs, inputs: inputs, chunk: chunk)
        defer { work.deallocate() }
        let transposedWeight = ShiftedProduct.PackedWeights(rows: inputs, taps: outputs) { i, o in weight[o * inputs + i] }
        let tapOffsets = (0..<outputs).map { $0 * work.stride }
        let inputGradient = Vectorised.makeTensor(shape: g.inputShape) { dx in
            outputGradient.withUnsafeBufferPointer { dy in
                input.withUnsafeBufferPointer { x in
                    let chunks = (0..<g.batch).flatMap { n in stride(from: 0, to: pixels, by: chunk).map { (n, $0) } }
                    for (index, (n, first)) in chunks.enumerated() {
                        let count = min(chunk, pixels - first)
                        let dyChunk = dy.baseAddress! + n * outputs * pixels + first
                        let xChunk = x.baseAddress! + n * inputs * pixels + first
                        work.load(dOut: dyChunk, input: xChunk, planeStride: pixels, columns: count)
                        let next = index + 1 < chunks.count ? chunks[index + 1] : nil
                        work.accumulateWeightGradient(columns: count) { tile, tiles in
                            // The next chunk's rows, spread over the tiles.
                            guard let (nextN, nextFirst) = next else { return }
                            let rows = inputs + outputs, bytes = min(chunk, pixels - nextFirst) * MemoryLayout<Float>.size
                            for row in (rows * tile / tiles)..<(rows * (tile + 1) / tiles) {
                                let start = row < inputs
                                    ? x.baseAddress! + (nextN * inputs + row) * pixels + nextFirst
                                    : dy.baseAddress! + (nextN * outputs + row - inputs) * pixels + nextFirst
                                Prefetch.lines(from: start, bytes: bytes)
                            }
                        }
                        let grid = ShiftedProduct.OutputGrid(base: dx, origin: n * inputs * pixels + first, rowStride: pixels,
                                                             width: work.stride, gridRowStride: 0, columnStride: 1,
                                                             rows: 0..<1, columns: 0..<count)
                        ShiftedProduct.multiply(transposedWeight, source: work.dOut, offsets: tapOffsets, columns: 0..<count, into: grid)
                    }
                }
            }
        }
        work.finish(weightGradient: weightGradient, biasGradient: biasGradient)
        return inputGradient
    }

    /// The chunk buffers and the padded weight-gradient accumulator of one call.
    struct Workspace {
        let outputs, inputs: Int
        /// Row stride of `dOut`: the chunk rounded up to the multiply's tile, which reads that far.
        let stride: Int
        /// `C_out` rounded up to the tile's 6 and `C_in` to its 16; the rows and columns past the
        /// real ones stay zero.
        let paddedOutputs, paddedInputs: Int
        /// `[paddedOutputs][stride]`: the chunk of `dY`.
        let dOut: UnsafeMutablePointer<Float>
        /// `[chunk][paddedInputs]`: the chunk of `X`, pixel-major.
        let transposedInput: UnsafeMutablePointer<Float>
        /// `[paddedOutputs][paddedInputs]`: `dW` so far.
        let gradient: UnsafeMutablePointer<Float>
        /// `[paddedOutputs][8]`: lane partial sums of `db`.
        let biasLanes: UnsafeMutablePointer<Float>

        init(outputs: Int, inputs: Int, chunk: Int) {
            (self.outputs, self.inputs) = (outputs, inputs)
            stride = roundUp(chunk, to: ShiftedProduct.tileColumns)
            paddedOutputs = roundUp(outputs, to: PointwiseBackward.tileOutputs)
            paddedInputs = roundUp(inputs, to: PointwiseBackward.tileInputs)
            func zeros(_ count: Int) -> UnsafeMutablePointer<Float> {
                let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
                p.initialize(repeating: 0, count: count)
                return p
            }
            dOut = zeros(paddedOutputs * stride)
            transposedInput = zeros(chunk * paddedInputs)
            gradient = zeros(paddedOutputs * paddedInputs)
            biasLanes = zeros(paddedOutputs * Vector.scalarCount)
        }

        func deallocate() {
            [dOut, transposedInput, gradient, biasLanes].forEach { $0.deallocate() }
        }

        /// Copies `columns` pixels of each `dY` row (planes `planeStride` apart) into `dOut`, adding
        /// them to the bias lanes, and transposes the same pixels of `X` into `transposedInput`.
        func load(dOut dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, planeStride: Int, columns: Int) {
            let width = Vector.scalarCount, vectors = columns / width
            for o in 0..<outputs {
                let source = dy + o * planeStride, destination = dOut + o * stride
                var sum = ShiftedProduct.load(biasLanes + o * width)
                for v in 0..<vectors {
                    let value = ShiftedProduct.load(source + v * width)
                    sum += value
                    ShiftedProduct.store(value, destination + v * width)
                }
                for j in (vectors * width)..<columns {
                    destination[j] = source[j]
                    sum[0] += source[j]
                }
                ShiftedProduct.store(sum, biasLanes + o * width)
            }
            for i0 in Swift.stride(from: 0, to: inputs, by: width) {
                for p0 in Swift.stride(from: 0, to: columns, by: width) {
                    let source = x + i0 * planeStride + p0, destination = transposedInput + p0 * paddedInputs + i0
                    if i0 + width <= inputs && p0 + width <= columns {
                        mstrain_transpose8x8(source, planeStride, destination, paddedInputs)
                    } else {
                        for i in 0..<min(width, inputs - i0) {
                            for p in 0..<min(width, columns - p0) { destination[p * paddedInputs + i] = source[i * planeStride + p] }
                        }
                    }
                }
            }
        }

        /// `gradient[o][i] += Σ_{p < columns} dOut[o][p] · transposedInput[p][i]`, one 6-row tile of
        /// `dOut` at a time through all input tiles; `between(tile, tiles)` runs before each of the
        /// `tiles` output tiles.
        func accumulateWeightGradient(columns: Int, between: (_ tile: Int, _ tiles: Int) -> Void) {
            let tiles = paddedOutputs / PointwiseBackward.tileOutputs
            for tile in 0..<tiles {
                between(tile, tiles)
                let o0 = tile * PointwiseBackward.tileOutputs
                for i0 in Swift.stride(from: 0, to: paddedInputs, by: PointwiseBackward.tileInputs) {
                    PointwiseBackward.weightGradientTile(columns: columns, dOut: dOut + o0 * stride, dOutStride: stride,
                                                         transposedInput: transposedInput + i0, inputStride: paddedInputs,
                                                         gradient: gradient + o0 * paddedInputs + i0, gradientStride: paddedInputs)
                }
            }
        }

        /// Adds the accumulated `dW` and `db` into the caller's gradients.
        func finish(weightGradient: UnsafeMutableBufferPointer<Float>, biasGradient: UnsafeMutableBufferPointer<Float>?) {
            for o in 0..<outputs {
                for i in 0..<inputs { weightGradient[o * inputs + i] += gradient[o * paddedInputs + i] }
                biasGradient?[o] += ShiftedProduct.load(biasLanes + o * Vector.scalarCount).sum()
            }
        }
    }

    /// One 6 × 16 tile: `gradient[r][0 ..< 16] += Σ_{p < columns} dOut[r][p] · transposedInput[p][0 ..< 16]`
    /// for `r < 6` (rows `dOutStride` and `gradientStride` apart, input pixels `inputStride` apart).
    @inline(__always)
    static func weightGradientTile(columns: Int, dOut: UnsafePointer<Float>, dOutStride: Int,
                                   transposedInput: UnsafePointer<Float>, inputStride: Int,
                                   gradient: UnsafeMutablePointer<Float>, gradientStride: Int) {
        let load = ShiftedProduct.load, width = Vector.scalarCount
        let g0 = gradient, g1 = g0 + gradientStride, g2 = g1 + gradientStride
        let g3 = g2 + gradientStride, g4 = g3 + gradientStride, g5 = g4 + gradientStride
        var a00 = load(g0), a01 = load(g0 + width), a10 = load(g1), a11 = load(g1 + width)
        var a20 = load(g2), a21 = load(g2 + width), a30 = load(g3), a31 = load(g3 + width)
        var a40 = load(g4), a41 = load(g4 + width), a50 = load(g5), a51 = load(g5 + width)
        let d0 = dOut, d1 = d0 + dOutStride, d2 = d1 + dOutStride, d3 = d2 + dOutStride, d4 = d3 + dOutStride, d5 = d4 + dOutStride
        for p in 0..<columns {
            let x = transposedInput + p * inputStride
            let x0 = load(x), x1 = load(x + width)
            var d = Vector(repeating: d0[p])
            a00 = a00.addingProduct(d, x0); a01 = a01.addingProduct(d, x1)
            d = Vector(repeating: d1[p])
            a10 = a10.addingProduct(d, x0); a11 = a11.addingProduct(d, x1)
            d = Vector(repeating: d2[p])
            a20 = a20.addingProduct(d, x0); a21 = a21.addingProduct(d, x1)
            d = Vector(repeating: d3[p])
            a30 = a30.addingProduct(d, x0); a31 = a31.addingProduct(d, x1)
            d = Vector(repeating: d4[p])
            a40 = a40.addingProduct(d, x0); a41 = a41.addingProduct(d, x1)
            d = Vector(repeating: d5[p])
            a50 = a50.addingProduct(d, x0); a51 = a51.addingProduct(d, x1)
        }
        let store = ShiftedProduct.store
        store(a00, g0); store(a01, g0 + width); store(a10, g1); store(a11, g1 + width)
        store(a20, g2); store(a21, g2 + width); store(a30, g3); store(a31, g3 + width)
        store(a40, g4); store(a41, g4 + width); store(a50, g5); store(a51, g5 + width)
    }
}
