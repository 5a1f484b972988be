import MSTensor

// Legend: n sample, c input channel, o output channel, k kernel size, s stride, p padding,
// H×W input, ho×wo output, P = ho·wo output pixels per sample, R = C_in·k² im2col rows.
// A "block" is a set of output pixels that one GEMM covers: a band of whole output rows of one
// sample, or several whole samples side by side (columns ordered sample, y, x).

/// 2-D convolution (cross-correlation, as in PyTorch) by im2col and single-precision GEMM.
///
///     out[n, o, y, x] = bias[o] + Σ_{c, ky, kx} weight[o, c, ky, kx] · in[n, c, y·s − p + ky, x·s − p + kx]
///
/// Per block of output pixels, with `cols = im2col(in)` of shape `[R × columns]`:
/// forward `out = W[C_out × R] · cols`; weight gradient `dW += dY · colsᵀ`; input gradient,
/// for stride 1, the forward convolution of `dY` with the flipped kernel, otherwise
/// `dcols = Wᵀ · dY` folded back by col2im (see `inputGradient`). A pointwise
/// convolution (`isPointwise`) skips im2col: the input itself is `cols`. Large images are cut
/// into bands of rows so `cols` stays in cache; small images put several samples into one
/// GEMM so it is wide enough.
///
/// Layers with few channels on large images take the direct path instead (`DirectConv2d`,
/// chosen by `Algorithm.automatic`), where im2col and BLAS packing would cost as much as the product.
public enum Conv2d {
    /// How a call computes. `automatic` picks, per pass, the path `DirectConv2d.isPreferred` names
    /// for the BLAS kernel in use (measured by `mstrain-dist bench kernels`); the others force one
    /// path (tests, benchmarks).
    public enum Algorithm: String, CaseIterable, Sendable {
        case automatic
        /// im2col (or the input itself, for 1×1) and `cblas_sgemm`.
        case im2colGEMM = "im2col-gemm"
        /// Shifted products over the zero-padded input (`DirectConv2d`).
        case direct

        /// The path `pass` of a call with this setting takes next to a BLAS kernel with `vectors`.
        public func resolved(for g: Conv2dGeometry, pass: Pass, vectors: BLASVectors = .current) -> Algorithm {
            self == .automatic ? (DirectConv2d.isPreferred(for: g, pass: pass, vectors: vectors) ? .direct : .im2colGEMM) : self
        }
    }

    /// The widest FMA vectors of the OpenBLAS kernel in use, which decides how fast GEMM is next to
    /// the direct path's AVX2 (256-bit FMA) tiles.
    public enum BLASVectors: Sendable {
        /// Kernels without FMA (Prescott, Nehalem, Sandybridge, …): GEMM runs at a fraction of the direct path.
        case narrow
        /// 256-bit FMA kernels (Haswell, Zen): the direct path's own vectors.
        case fma256
        /// 512-bit FMA kernels (SkylakeX, Cooperlake, SapphireRapids): GEMM can run twice as fast.
        case fma512

        /// The class of an `openblas_get_corename()` name.
        public init(coreName: String) {
            switch coreName.lowercased() {
            case "skylakex", "cooperlake", "sapphirerapids": self = .fma512
            case "haswell", "zen", "excavator": self = .fma256
            default: self = .narrow
            }
        }

        /// The kernel OpenBLAS chose in this process.
        public static let current = BLASVectors(coreName: BLAS.coreName)
    }

    /// The three products of a convolution, and `backward`: both gradients of a 1×1 convolution
    /// in one pass over `dY` (`PointwiseBackward`) when `Conv2d.backward` computes both.
    public enum Pass: Sendable { case forward, inputGradient, weightGradient, backward }

    /// `input` `[N, C_in, H, W]`, `weight` `[C_out, C_in, K, K]` (PyTorch layout), `bias`
    /// `[C_out]` or nil → `[N, C_out, H_out, W_out]`.
    public static func forward(_ input: Tensor, weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                               geometry: Conv2dGeometry, algorithm: Algorithm = .automatic) -> Tensor {
        let g = geometry
        check(input: input, weight: weight, geometry: g)
        precondition(bias == nil || bias!.count == g.outputChannels,
                     "Conv2d.forward: bias has \(bias!.count) elements, expected [\(g.outputChannels)]")
        if algorithm.resolved(for: g, pass: .forward) == .direct {
            return DirectConv2d.forward(input, weight: weight, bias: bias, geometry: g)
        }
        let plan = BlockPlan(g)
        let outputCount = g.outputShape.reduce(1, *)
        let scalars = [Float](unsafeUninitializedCapacity: outputCount) { buffer, initialized in
            let y = buffer.baseAddress!
            input.withUnsafeBufferPointer { xBuffer in
                let scratch = Scratch(plan, geometry: g)
                defer { scratch.deallocate() }
                for block in plan.blocks {
                    let cols = columns(of: block, input: xBuffer.baseAddress!, geometry: g, scratch: scratch.columns)
                    let out = block.sampleCount == 1
                        ? (pointer: y + pixelOffset(of: block, channels: g.outputChannels, geometry: g), stride: plan.pixels)
                        : (pointer: scratch.gathered!, stride: block.columns)
                    BLAS.sgemm(transposeA: false, transposeB: false, m: g.outputChannels, n: block.columns, k: g.patchSize,
                               alpha: 1, a: weight.baseAddress!, lda: g.patchSize, b: cols.pointer, ldb: cols.stride,
                               beta: 0, c: out.pointer, ldc: out.stride)
                    if let bias {
                        for o in 0..<g.outputChannels {
                            let row = out.pointer + o * out.stride, value = bias[o]
                            for j in 0..<block.columns { row[j] += value }
                        }
                    }
                    if block.sampleCount > 1 {
                        moveSamples(of: block, channels: g.outputChannels, geometry: g,
                                    matrix: out.pointer, tensor: y, direction: .matrixToTensor)
                    }
                }
            }
            initialized = outputCount
        }
        return Tensor(shape: g.outputShape, scalars: scalars)
    }

    /// Backward of `forward` given `outputGradient = dL/dout` `[N, C_out, H_out, W_out]`.
    ///
    /// **Accumulates** `dL/dweight` into `weightGradient` `[C_out, C_in, K, K]` and `dL/dbias`
    /// into `biasGradient` `[C_out]` (if non-nil); returns a new `dL/dinput` `[N, C_in, H, W]`
    /// when `computeInputGradient`, else nil. A 1×1 layer may compute both gradients in one pass
    /// over `dY` (`PointwiseBackward`, pass `.backward` of `algorithm`).
    public static func backward(outputGradient: Tensor, input: Tensor, weight: UnsafeBufferPointer<Float>,
                                geometry: Conv2dGeometry,
                                weightGradient: UnsafeMutableBufferPointer<Float>,
                                biasGradient: UnsafeMutableBufferPointer<Float>?,
                                computeInputGradient: Bool = true, algorithm: Algorithm = .automatic) -> Tensor? {
        let g = geometry
        check(input: input, weight: weight, geometry: g)
        precondition(outputGradient.shape == g.outputShape,
                     "Conv2d.backward: output gradient \(outputGradient.shape), expected \(g.outputShape)")
        precondition(weightGradient.count == g.weightCount,
                     "Conv2d.backward: weight gradient has \(weightGradient.count) elements, expected "
                     + "[\(g.outputChannels), \(g.inputChannels), \(g.kernelSize), \(g.kernelSize)]")
        precondition(biasGradient == nil || biasGradient!.count == g.outputChannels,
                     "Conv2d.backward: bias gradient has \(biasGradient!.count) elements, expected [\(g.outputChannels)]")
        if computeInputGradient && g.isPointwise && algorithm.resolved(for: g, pass: .backward) == .direct {
            return PointwiseBackward.backward(outputGradient: outputGradient, input: input, weight: weight, geometry: g,
                                              weightGradient: weightGradient, biasGradient: biasGradient)
        }
        if algorithm.resolved(for: g, pass: .weightGradient) == .direct {
            DirectConv2d.accumulateWeightGradient(outputGradient: outputGradient, input: input, geometry: g,
                                                  into: weightGradient, biasGradient: biasGradient)
        } else {
            let plan = BlockPlan(g), scratch = Scratch(plan, geometry: g)
            defer { scratch.deallocate() }
            outputGradient.withUnsafeBufferPointer { dy in
                input.withUnsafeBufferPointer { x in
                    for block in plan.blocks {
                        let dOut = outputGradientMatrix(of: block, dy.baseAddress!, geometry: g, scratch: scratch)
                        let cols = columns(of: block, input: x.baseAddress!, geometry: g, scratch: scratch.columns)
                        BLAS.sgemm(transposeA: false, transposeB: true, m: g.outputChannels, n: g.patchSize, k: block.columns,
                                   alpha: 1, a: dOut.pointer, lda: dOut.stride, b: cols.pointer, ldb: cols.stride,
                                   beta: 1, c: weightGradient.baseAddress!, ldc: g.patchSize)
                        // The bias while the block's dY is still in cache (a pass of its own over dY
                        // costs a thin 1×1 layer, which streams dY from memory, a few per cent).
                        addRowSums(of: dOut.pointer, stride: dOut.stride, columns: block.columns, into: biasGradient)
                    }
                }
            }
        }
        return computeInputGradient
            ? inputGradient(outputGradient: outputGradient, weight: weight, geometry: g, algorithm: algorithm) : nil
    }

    /// `dL/dinput` `[N, C_in, H, W]` alone (what `backward` returns), given
    /// `outputGradient = dL/dout` `[N, C_out, H_out, W_out]`. Returns a new tensor.
    ///
    /// Stride 1: the forward convolution of `dY` with the flipped kernel (`transposedForward`), on
    /// either path. Otherwise, on the direct path the adjoint of the direct forward
    /// (`DirectConv2d.inputGradient`); on GEMM per block `dcols = Wᵀ · dY`, folded back onto the
    /// input pixels by col2im.
    public static func inputGradient(outputGradient: Tensor, weight: UnsafeBufferPointer<Float>,
                                     geometry: Conv2dGeometry, algorithm: Algorithm = .automatic) -> Tensor {
        let g = geometry
        precondition(outputGradient.shape == g.outputShape,
                     "Conv2d.inputGradient: output gradient \(outputGradient.shape), expected \(g.outputShape)")
        precondition(weight.count == g.weightCount,
                     "Conv2d.inputGradient: weight has \(weight.count) elements, expected "
                     + "[\(g.outputChannels), \(g.inputChannels), \(g.kernelSize), \(g.kernelSize)]")
        let algorithm = algorithm.resolved(for: g, pass: .inputGradient)
        if g.stride == 1 && g.padding < g.kernelSize {
            return transposedForward(outputGradient, weight: weight, geometry: g, algorithm: algorithm)
        }
        if algorithm == .direct {
            return DirectConv2d.inputGradient(outputGradient: outputGradient, weight: weight, geometry: g)
        }
        let plan = BlockPlan(g)
        var result = Tensor(shape: g.inputShape)
        result.withUnsafeMutableBufferPointer { dxBuffer in
            outputGradient.withUnsafeBufferPointer { dyBuffer in
                let scratch = Scratch(plan, geometry: g)
                defer { scratch.deallocate() }
                let dCols = scratch.columns!
                for block in plan.blocks {
                    let dOut = outputGradientMatrix(of: block, dyBuffer.baseAddress!, geometry: g, scratch: scratch)
                    BLAS.sgemm(transposeA: true, transposeB: false, m: g.patchSize, n: block.columns,
                               k: g.outputChannels, alpha: 1, a: weight.baseAddress!, lda: g.patchSize,
                               b: dOut.pointer, ldb: dOut.stride, beta: 0, c: dCols, ldc: block.columns)
                    for s in 0..<block.sampleCount {
                        col2im(dCols + s * block.rowCount * g.outputWidth, stride: block.columns,
                               rows: block.firstRow..<(block.firstRow + block.rowCount), geometry: g,
                               into: dxBuffer.baseAddress! + (block.sample + s) * g.inputChannels * g.inputHeight * g.inputWidth)
                    }
                }
            }
        }
        return result
    }

    /// `dL/dinput` of a stride-1 convolution as the forward convolution of `dY` with the
    /// flipped, channel-transposed kernel `W'[c, o, ky, kx] = W[o, c, K−1−ky, K−1−kx]` and
    /// padding `K−1−p`: one GEMM per block with `k = C_out·K²`, written once (no col2im).
    static func transposedForward(_ outputGradient: Tensor, weight: UnsafeBufferPointer<Float>,
                                  geometry g: Conv2dGeometry, algorithm: Algorithm) -> Tensor {
        let k = g.kernelSize, taps = k * k
        let transposed = Conv2dGeometry(batch: g.batch, inputChannels: g.outputChannels, outputChannels: g.inputChannels,
                                        inputHeight: g.outputHeight, inputWidth: g.outputWidth,
                                        kernelSize: k, stride: 1, padding: k - 1 - g.padding)
        var flipped = [Float](repeating: 0, count: g.weightCount)
        for o in 0..<g.outputChannels {
            for c in 0..<g.inputChannels {
                for t in 0..<taps {
                    flipped[(c * g.outputChannels + o) * taps + taps - 1 - t] = weight[(o * g.inputChannels + c) * taps + t]
                }
            }
        }
        return flipped.withUnsafeBufferPointer {
            forward(outputGradient, weight: $0, bias: nil, geometry: transposed, algorithm: algorithm)
        }
    }
}

// MARK: - Blocking

extension Conv2d {
    /// Blocks narrower than this many columns make GEMM inefficient: smaller images are
    /// batched up to it. (512 and 1024 measured alike; 256 was slower on 16×16 images.)
    static let minimumColumns = 512
    /// Target size, in floats, of one block's im2col matrix (`R × columns`): 256 KiB, a
    /// quarter of a core's L2, so it stays cached between im2col and GEMM next to OpenBLAS's
    /// packed panels. Whole-sample matrices (MiB) ran 5–15 % slower on 64²–128² images.
    static let columnBudget = 1 << 16

    /// Output pixels `[sample, sample + sampleCount) × rows [firstRow, firstRow + rowCount) × all x`.
    struct Block {
        var sample, sampleCount, firstRow, rowCount, columns: Int
    }

    /// The blocks covering every output pixel once, in order.
    struct BlockPlan {
        let pixels: Int
        let blocks: [Block]
        let maxColumns: Int
        let hasMultiSampleBlocks: Bool

        init(_ g: Conv2dGeometry) {
            let ho = g.outputHeight, wo = g.outputWidth
            pixels = ho * wo
            var blocks: [Block] = []
            if pixels >= Conv2d.minimumColumns || g.batch == 1 {
                let rowsPerBlock = g.isPointwise
                    ? ho : min(ho, max(1, max(Conv2d.minimumColumns, Conv2d.columnBudget / g.patchSize) / wo))
                for n in 0..<g.batch {
                    for y0 in stride(from: 0, to: ho, by: rowsPerBlock) {
                        let rows = min(rowsPerBlock, ho - y0)
                        blocks.append(Block(sample: n, sampleCount: 1, firstRow: y0, rowCount: rows, columns: rows * wo))
                    }
                }
            } else {
                let samplesPerBlock = min(g.batch, (Conv2d.minimumColumns + pixels - 1) / pixels)
                for n0 in stride(from: 0, to: g.batch, by: samplesPerBlock) {
                    let samples = min(samplesPerBlock, g.batch - n0)
                    blocks.append(Block(sample: n0, sampleCount: samples, firstRow: 0, rowCount: ho,
                                        columns: samples * pixels))
                }
            }
            self.blocks = blocks
            maxColumns = blocks.map(\.columns).max()!
            hasMultiSampleBlocks = blocks.contains { $0.sampleCount > 1 }
        }
    }

    /// Working memory of one call: the im2col (or `dcols`) matrix (absent for pointwise
    /// convolutions that read the input directly) and, for multi-sample blocks, a `[C_out × columns]` matrix.
    struct Scratch {
        let columns: UnsafeMutablePointer<Float>?
        let gathered: UnsafeMutablePointer<Float>?

        init(_ plan: BlockPlan, geometry g: Conv2dGeometry) {
            columns = g.isPointwise && !plan.hasMultiSampleBlocks
                ? nil : .allocate(capacity: g.patchSize * plan.maxColumns)
            gathered = plan.hasMultiSampleBlocks ? .allocate(capacity: g.outputChannels * plan.maxColumns) : nil
        }

        func deallocate() {
            columns?.deallocate()
            gathered?.deallocate()
        }
    }

    /// Offset of a single-sample block's first pixel in an `[N, channels, H_out, W_out]` tensor.
    static func pixelOffset(of block: Block, channels: Int, geometry g: Conv2dGeometry) -> Int {
        (block.sample * channels * g.outputHeight + block.firstRow) * g.outputWidth
    }

    /// The `[R × columns]` matrix of a block: the input itself for a pointwise single-sample
    /// block, otherwise im2col written to `scratch`.
    static func columns(of block: Block, input x: UnsafePointer<Float>, geometry g: Conv2dGeometry,
                        scratch: UnsafeMutablePointer<Float>?) -> (pointer: UnsafePointer<Float>, stride: Int) {
        if g.isPointwise && block.sampleCount == 1 {
            return (x + pixelOffset(of: block, channels: g.inputChannels, geometry: g), g.outputHeight * g.outputWidth)
        }
        let cols = scratch!
        for s in 0..<block.sampleCount {
            im2col(x + (block.sample + s) * g.inputChannels * g.inputHeight * g.inputWidth,
                   rows: block.firstRow..<(block.firstRow + block.rowCount), geometry: g,
                   into: cols + s * block.rowCount * g.outputWidth, stride: block.columns)
        }
        return (UnsafePointer(cols), block.columns)
    }

    /// The `[C_out × columns]` output-gradient matrix of a block: a view into `dy` for a
    /// single-sample block, otherwise its samples copied side by side into `scratch.gathered`.
    static func outputGradientMatrix(of block: Block, _ dy: UnsafePointer<Float>, geometry g: Conv2dGeometry,
                                     scratch: Scratch) -> (pointer: UnsafePointer<Float>, stride: Int) {
        if block.sampleCount == 1 {
            return (dy + pixelOffset(of: block, channels: g.outputChannels, geometry: g), g.outputHeight * g.outputWidth)
        }
        moveSamples(of: block, channels: g.outputChannels, geometry: g, matrix: scratch.gathered!,
                    tensor: UnsafeMutablePointer(mutating: dy), direction: .tensorToMatrix)
        return (UnsafePointer(scratch.gathered!), block.columns)
    }

    enum Direction { case tensorToMatrix, matrixToTensor }

    /// Copies a multi-sample block between an `[N, channels, P]` tensor and a
    /// `[channels × sampleCount·P]` matrix (sample `s` in columns `s·P ..< (s+1)·P`).
    static func moveSamples(of block: Block, channels: Int, geometry g: Conv2dGeometry,
                            matrix: UnsafeMutablePointer<Float>, tensor: UnsafeMutablePointer<Float>,
                            direction: Direction) {
        let pixels = g.outputHeight * g.outputWidth
        for s in 0..<block.sampleCount {
            for ch in 0..<channels {
                let t = tensor + ((block.sample + s) * channels + ch) * pixels
                let m = matrix + ch * block.columns + s * pixels
                switch direction {
                case .tensorToMatrix: m.update(from: t, count: pixels)
                case .matrixToTensor: t.update(from: m, count: pixels)
                }
            }
        }
    }
}

// MARK: - im2col / col2im

extension Conv2d {
    /// Output columns `x` in `lo..<hi` read inside the input for kernel column `kx`
    /// (`0 ≤ x·s − p + kx < W`); the others read padding.
    @inline(__always)
    static func validColumns(kx: Int, geometry g: Conv2dGeometry) -> (lo: Int, hi: Int) {
        let s = g.stride, first = g.padding - kx, last = g.inputWidth - 1 + g.padding - kx
        let lo = first <= 0 ? 0 : min(g.outputWidth, (first + s - 1) / s)
        let hi = last < 0 ? 0 : min(g.outputWidth, last / s + 1)
        return (lo, max(lo, hi))
    }

    /// `cols[(c·k + ky)·k + kx, (y − rows.lowerBound)·wo + x] = in[c, y·s − p + ky, x·s − p + kx]`
    /// (zero outside the input) for the output rows `y ∈ rows` of one sample `x` `[C_in, H, W]`;
    /// `stride` is the row stride of `cols`. Overwrites.
    static func im2col(_ x: UnsafePointer<Float>, rows: Range<Int>, geometry g: Conv2dGeometry,
                       into cols: UnsafeMutablePointer<Float>, stride: Int) {
        if g.stride == 1 && g.outputWidth == g.inputWidth {
            im2colSameWidth(x, rows: rows, geometry: g, into: cols, stride: stride)
            return
        }
        let k = g.kernelSize, s = g.stride, p = g.padding, wo = g.outputWidth
        for c in 0..<g.inputChannels {
            for ky in 0..<k {
                for kx in 0..<k {
                    let (lo, hi) = validColumns(kx: kx, geometry: g)
                    let rowStart = cols + ((c * k + ky) * k + kx) * stride
                    for y in rows {
                        let dst = rowStart + (y - rows.lowerBound) * wo
                        let iy = y * s - p + ky
                        guard iy >= 0 && iy < g.inputHeight else {
                            zero(dst, count: wo)
                            continue
                        }
                        let src = x + (c * g.inputHeight + iy) * g.inputWidth - p + kx
                        zero(dst, count: lo)
                        switch s {
                        case 1: copy(src + lo, into: dst + lo, count: hi - lo)
                        case 2: gatherEven(src, into: dst, lo..<hi)
                        default: for j in lo..<hi { dst[j] = src[j * s] }
                        }
                        zero(dst + hi, count: wo - hi)
                    }
                }
            }
        }
    }

    /// `im2col` for stride 1 and `W_out = W` ("same" width): for one `(c, ky, kx)` the valid
    /// rows of `cols` are the input plane shifted by `(ky − p)·W + (kx − p)` elements, so they
    /// are copied as one block, and only the `p − kx` (or `kx − p`) columns at the image edge
    /// that the shift wraps into the neighbouring row are zeroed afterwards. Small images have
    /// rows of a few floats, where a copy per row costs mostly call and loop overhead.
    static func im2colSameWidth(_ x: UnsafePointer<Float>, rows: Range<Int>, geometry g: Conv2dGeometry,
                                into cols: UnsafeMutablePointer<Float>, stride: Int) {
        let k = g.kernelSize, p = g.padding, w = g.inputWidth, h = g.inputHeight
        for c in 0..<g.inputChannels {
            let plane = x + c * h * w
            for ky in 0..<k {
                // Output rows whose input row y − p + ky lies inside the image.
                let first = min(max(rows.lowerBound, p - ky), rows.upperBound)
                let end = max(min(rows.upperBound, h + p - ky), first)
                for kx in 0..<k {
                    let rowStart = cols + ((c * k + ky) * k + kx) * stride
                    zero(rowStart, count: (first - rows.lowerBound) * w)
                    zero(rowStart + (end - rows.lowerBound) * w, count: (rows.upperBound - end) * w)
                    guard end > first else { continue }
                    let shift = kx - p
                    let destination = rowStart + (first - rows.lowerBound) * w
                    let source = plane + (first - p + ky) * w + shift
                    // Skip the elements that would read before the plane's first or after its
                    // last row; they sit in edge columns that are zeroed below.
                    let head = max(0, -shift), tail = max(0, shift)
                    copy(source + head, into: destination + head, count: (end - first) * w - head - tail)
                    let (lo, hi) = validColumns(kx: kx, geometry: g)
                    for row in 0..<(end - first) {
                        let line = destination + row * w
                        zero(line, count: lo)
                        zero(line + hi, count: w - hi)
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds `cols[(c·k + ky)·k + kx, (y − rows.lowerBound)·wo + x]` into
    /// `dx[c, y·s − p + ky, x·s − p + kx]` for the output rows `y ∈ rows`, dropping padding.
    /// Accumulates into `dx` `[C_in, H, W]`.
    static func col2im(_ cols: UnsafePointer<Float>, stride: Int, rows: Range<Int>, geometry g: Conv2dGeometry,
                       into dx: UnsafeMutablePointer<Float>) {
        let k = g.kernelSize, s = g.stride, p = g.padding, wo = g.outputWidth
        for c in 0..<g.inputChannels {
            for ky in 0..<k {
                for kx in 0..<k {
                    let (lo, hi) = validColumns(kx: kx, geometry: g)
                    let rowStart = cols + ((c * k + ky) * k + kx) * stride
                    for y in rows {
                        let iy = y * s - p + ky
                        guard iy >= 0 && iy < g.inputHeight else { continue }
                        let src = rowStart + (y - rows.lowerBound) * wo
                        let dst = dx + (c * g.inputHeight + iy) * g.inputWidth - p + kx
                        switch s {
                        case 1: for j in lo..<hi { dst[j] += src[j] }
                        case 2: scatterAddEven(src, into: dst, lo..<hi)
                        default: for j in lo..<hi { dst[j * s] += src[j] }
                        }
                    }
                }
            }
        }
    }

    // Stride 2 in eight-lane steps: sixteen consecutive floats hold eight even ones. A step at
    // `j` loads `2j ..< 2j + 16`, inside the valid range `2·lo ... 2·(hi − 1)` while
    // `j + 9 <= hi`. The gather's last (up to eight) elements come from one step that loads
    // `2j − 1 ..< 2j + 15` at `j = hi − 8` and takes its odd lanes, which needs `hi − lo >= 9`.

    /// `dst[j] = src[2j]` for `j ∈ range`.
    @inline(__always)
    static func gatherEven(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        let (lo, hi) = (range.lowerBound, range.upperBound)
        guard hi - lo >= 9 else {
            for j in range { dst[j] = src[2 * j] }
            return
        }
        var j = lo
        while j + 9 <= hi {
            let pairs = UnsafeRawPointer(src + 2 * j).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + j).storeBytes(of: pairs.evenHalf, as: SIMD8<Float>.self)
            j += 8
        }
        // Overlaps elements already written, with the same values.
        let last = UnsafeRawPointer(src + 2 * (hi - 8) - 1).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(dst + hi - 8).storeBytes(of: last.oddHalf, as: SIMD8<Float>.self)
    }

    /// `dst[2j] += src[j]` for `j ∈ range` (the last elements one by one).
    @inline(__always)
    static func scatterAddEven(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        let hi = range.upperBound
        var j = range.lowerBound
        while j + 9 <= hi {
            var addend = SIMD16<Float>()
            addend.evenHalf = UnsafeRawPointer(src + j).loadUnaligned(as: SIMD8<Float>.self)
            let target = UnsafeMutableRawPointer(dst + 2 * j)
            target.storeBytes(of: target.loadUnaligned(as: SIMD16<Float>.self) + addend, as: SIMD16<Float>.self)
            j += 8
        }
        while j < hi { dst[2 * j] += src[j]; j += 1 }
    }

    /// `p[0..<count] = 0`, inline for the few padding columns at a row's ends.
    @inline(__always)
    static func zero(_ p: UnsafeMutablePointer<Float>, count: Int) {
        for j in 0..<count { p[j] = 0 }
    }

    /// An inline copy: im2col rows of small images are a few floats long, where a memmove
    /// call costs more than the copy (measured: im2col took 35 % of a training step on 8×8
    /// images with memmove, mostly in call overhead).
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        while j + 8 <= count {
            UnsafeMutableRawPointer(destination + j).storeBytes(
                of: UnsafeRawPointer(source + j).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            j += 8
        }
        while j < count { destination[j] = source[j]; j += 1 }
    }

    /// `bias[o] += Σ_j m[o·stride + j]` for `j < columns`, `o < bias.count`; nothing when `bias` is nil.
    static func addRowSums(of m: UnsafePointer<Float>, stride: Int, columns: Int, into bias: UnsafeMutableBufferPointer<Float>?) {
        guard let bias else { return }
        for o in bias.indices { bias[o] += sum(m + o * stride, count: columns) }
    }

    /// `Σ p[0..<count]` with four eight-lane partial sums (one would wait on each add's latency).
    static func sum(_ p: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var i = 0
        var (l1, l2, l3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        while i + 32 <= count {
            lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            l1 += UnsafeRawPointer(p + i + 8).loadUnaligned(as: SIMD8<Float>.self)
            l2 += UnsafeRawPointer(p + i + 16).loadUnaligned(as: SIMD8<Float>.self)
            l3 += UnsafeRawPointer(p + i + 24).loadUnaligned(as: SIMD8<Float>.self)
            i += 32
        }
        lanes += (l1 + l2) + l3
        while i + 8 <= count {
            lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var total = lanes.sum()
        while i < count { total += p[i]; i += 1 }
        return total
    }

    static func check(input: Tensor, weight: UnsafeBufferPointer<Float>, geometry g: Conv2dGeometry) {
        precondition(input.shape == g.inputShape, "Conv2d: input \(input.shape), geometry expects \(g.inputShape)")
        precondition(weight.count == g.weightCount,
                     "Conv2d: weight has \(weight.count) elements, expected "
                     + "[\(g.outputChannels), \(g.inputChannels), \(g.kernelSize), \(g.kernelSize)]")
    }
}
