/// A dense, contiguous Float32 array in row-major order with value semantics.
///
/// Activations use the NCHW layout `[N, C, H, W]`; convolution weights use PyTorch's
/// `[C_out, C_in, K, K]`. Storage is a Swift `Array`, so copies are copy-on-write and a
/// tensor can be passed around freely; kernels reach the elements through
/// `withUnsafeBufferPointer` / `withUnsafeMutableBufferPointer`.
public struct Tensor: Equatable, Sendable {
    /// Extent of each axis, outermost first.
    public private(set) var shape: [Int]
    /// `shape.reduce(1, *)` elements, row-major.
    public var scalars: [Float]

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        self.shape = shape
        self.scalars = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of the given shape holding `scalars` (row-major).
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor: shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Number of elements.
    public var count: Int { scalars.count }
    /// Number of axes.
    public var rank: Int { shape.count }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Reads the elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Writes the elements in place.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }
}

// MARK: - NCHW accessors

extension Tensor {
    /// `N` of an `[N, C, H, W]` tensor.
    public var batch: Int { precondition(rank == 4, "expected [N, C, H, W], got \(shape)"); return shape[0] }
    /// `C` of an `[N, C, H, W]` tensor.
    public var channels: Int { precondition(rank == 4, "expected [N, C, H, W], got \(shape)"); return shape[1] }
    /// `H` of an `[N, C, H, W]` tensor.
    public var height: Int { precondition(rank == 4, "expected [N, C, H, W], got \(shape)"); return shape[2] }
    /// `W` of an `[N, C, H, W]` tensor.
    public var width: Int { precondition(rank == 4, "expected [N, C, H, W], got \(shape)"); return shape[3] }

    /// Element `[n, c, y, x]` of an NCHW tensor (slow; for references and tests).
    public subscript(n: Int, c: Int, y: Int, x: Int) -> Float {
        get { scalars[((n * shape[1] + c) * shape[2] + y) * shape[3] + x] }
        set { scalars[((n * shape[1] + c) * shape[2] + y) * shape[3] + x] = newValue }
    }

    /// Samples `range` of the batch axis (axis 0), as a new tensor.
    public func batchSlice(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "batchSlice \(range) out of bounds for shape \(shape)")
        let per = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, scalars: Array(scalars[(range.lowerBound * per)..<(range.upperBound * per)]))
    }

    /// Concatenation along axis 0 of tensors whose other axes agree.
    public static func stackBatch(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "stackBatch needs at least one tensor")
        let inner = Array(parts[0].shape.dropFirst())
        var all: [Float] = []
        all.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var n = 0
        for part in parts {
            precondition(Array(part.shape.dropFirst()) == inner,
                         "stackBatch: shape \(part.shape) does not match [*, \(inner)]")
            all.append(contentsOf: part.scalars)
            n += part.shape[0]
        }
        return Tensor(shape: [n] + inner, scalars: all)
    }
}

// MARK: - Elementwise helpers (not hot paths)

extension Tensor {
    /// Elementwise sum of two tensors of equal shape.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "+: shapes \(lhs.shape) and \(rhs.shape) differ")
        var out = lhs
        out.withUnsafeMutableBufferPointer { o in
            rhs.withUnsafeBufferPointer { r in for i in 0..<o.count { o[i] += r[i] } }
        }
        return out
    }

    /// Elementwise difference of two tensors of equal shape.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "-: shapes \(lhs.shape) and \(rhs.shape) differ")
        var out = lhs
        out.withUnsafeMutableBufferPointer { o in
            rhs.withUnsafeBufferPointer { r in for i in 0..<o.count { o[i] -= r[i] } }
        }
        return out
    }

    /// Every element multiplied by `factor`.
    public static func * (lhs: Tensor, factor: Float) -> Tensor {
        var out = lhs
        out.withUnsafeMutableBufferPointer { o in for i in 0..<o.count { o[i] *= factor } }
        return out
    }

    /// Largest absolute elementwise difference to `other` (same shape).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "maxAbsDifference: shapes \(shape) and \(other.shape) differ")
        var m: Float = 0
        for i in 0..<count { m = max(m, abs(scalars[i] - other.scalars[i])) }
        return m
    }
}
