import MSDistributed
import MSKernels
import MSTensor

/// One convolution layer's forward and backward on this rank's strip of an image whose rows
/// are split over a spatial group: the outputs and gradients equal the rows this strip owns of
/// the same convolution on the whole image (to rounding), and the group's weight gradients add
/// up to the whole image's.
///
/// With kernel K, stride S and padding P, output row `o` reads input rows `S·o − P … S·o − P +
/// K − 1`. The strip owns input rows `s ..< e` and output rows `o₀ ..< o₁` (see
/// `RowPartition.outputPartition`). It borrows the rows it reads from its neighbours
/// (`RowHalo`) into a window starting at row `a = S·(o₀ − j₀)`, `j₀ = ⌈P/S⌉`, and runs the
/// unchanged `Conv2d` kernels on the window with padding P: the window's output row `j₀ + i`
/// is the image's output row `o₀ + i`, and the `j₀` rows before them (and any after) read the
/// window's zero padding and are dropped. Backward sets the dropped rows' output gradient to
/// zero, so they add nothing to the weight gradient, and folds the window's input gradient
/// back onto the owners of its rows. The cost is `j₀` and a few trailing output rows per strip.
/// Between the passes only the borrowed rows are kept (`BorrowedRows`), not the window: the
/// strip itself is the caller's, and the backward pass puts the window together again.
public struct StripConvolution: Sendable {
    /// The convolution on the whole image.
    public let geometry: Conv2dGeometry
    /// Input rows per rank, and output rows per rank.
    public let inputRows, outputRows: RowPartition
    /// The rows each window borrows.
    public let halo: RowHalo

    /// The convolution `geometry` (of the whole image) with its input rows split as `inputRows`.
    public init(geometry: Conv2dGeometry, inputRows: RowPartition) {
        precondition(inputRows.height == geometry.inputHeight,
                     "StripConvolution: a partition of \(inputRows.height) rows for an image of \(geometry.inputHeight)")
        self.geometry = geometry
        self.inputRows = inputRows
        let (k, s, p) = (geometry.kernelSize, geometry.stride, geometry.padding)
        outputRows = inputRows.outputPartition(stride: s, outputHeight: geometry.outputHeight)
        var above: [Int] = [], below: [Int] = []
        for part in 0..<inputRows.parts {
            let owned = outputRows.rows(of: part)
            precondition(!owned.isEmpty, "StripConvolution: strip \(part) (rows \(inputRows.rows(of: part))) owns no output row; "
                         + "gather maps this small instead of splitting them")
            let windowStart = s * (owned.lowerBound - Self.droppedLeadingRows(stride: s, padding: p))
            let windowEnd = s * (owned.upperBound - 1) - p + k
            above.append(inputRows.rows(of: part).lowerBound - windowStart)
            below.append(max(0, windowEnd - inputRows.rows(of: part).upperBound))
        }
        halo = RowHalo(partition: inputRows, above: above, below: below)
    }

    /// `j₀ = ⌈P/S⌉`: the window's output rows before the first owned one.
    static func droppedLeadingRows(stride: Int, padding: Int) -> Int { (padding + stride - 1) / stride }

    /// The geometry of the convolution on strip `part`'s window.
    public func windowGeometry(part: Int) -> Conv2dGeometry {
        var g = geometry
        g.inputHeight = halo.windowHeight(part)
        return g
    }

    /// The rows of a window outside its strip: `above` and `below` rows of every plane.
    public struct BorrowedRows: Sendable {
        public var above: Tensor
        public var below: Tensor
    }

    /// This rank's strip of the input `[N, C_in, h, W]` → its strip of the output
    /// `[N, C_out, h_out, W_out]`, and the borrowed rows the backward pass needs.
    public func forward(_ strip: Tensor, weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                        group: any Communicator) -> (output: Tensor, borrowed: BorrowedRows) {
        let part = group.rank
        let window = halo.extend(strip, group: group)
        let full = Conv2d.forward(window, weight: weight, bias: bias, geometry: windowGeometry(part: part))
        let (above, below) = (halo.above[part], halo.below[part])
        let borrowed = BorrowedRows(above: window.rows(0..<above), below: window.rows((above + strip.height)..<(above + strip.height + below)))
        return (full.rows(leadingRows..<(leadingRows + outputRows.rows(of: part).count)), borrowed)
    }

    /// Accumulates the strip's share of the weight and bias gradients and returns the gradient
    /// of this rank's input strip, from the gradient of its output strip, the input strip and
    /// the rows the forward pass borrowed.
    public func backward(outputGradient: Tensor, strip: Tensor, borrowed: BorrowedRows, weight: UnsafeBufferPointer<Float>,
                         weightGradient: UnsafeMutableBufferPointer<Float>, biasGradient: UnsafeMutableBufferPointer<Float>?,
                         group: any Communicator) -> Tensor {
        let g = windowGeometry(part: group.rank)
        var window = Tensor(shape: [strip.batch, strip.channels, g.inputHeight, strip.width])
        RowBlock.copy(borrowed.above, rows: 0..<borrowed.above.height, into: &window, at: 0)
        RowBlock.copy(strip, rows: 0..<strip.height, into: &window, at: borrowed.above.height)
        RowBlock.copy(borrowed.below, rows: 0..<borrowed.below.height, into: &window, at: borrowed.above.height + strip.height)
        let padded = outputGradient.embedded(inHeight: g.outputHeight, at: leadingRows)
        let windowGradient = Conv2d.backward(outputGradient: padded, input: window, weight: weight, geometry: g,
                                             weightGradient: weightGradient, biasGradient: biasGradient)!
        return halo.foldBack(windowGradient, group: group)
    }

    private var leadingRows: Int { Self.droppedLeadingRows(stride: geometry.stride, padding: geometry.padding) }
}
