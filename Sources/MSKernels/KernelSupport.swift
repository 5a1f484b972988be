import MSTensor

/// Building blocks of the elementwise, reduction and normalisation kernels: 8-lane Float32
/// vectors (one AVX2 register), loops that handle the ragged tail, sums accumulated in Double,
/// and a vectorised `exp`.
///
/// Legend: `i` element offset, `lanes` valid lanes at `i` (`width` except in the tail),
/// `v` a vector, `x`/`y` input/output pointers.
enum Vectorised {
    typealias Vector = SIMD8<Float>
    static let width = Vector.scalarCount
    /// Elements summed per lane in Float32 before the partial sum joins the Double total: at
    /// most 64 terms per lane, so the Float32 rounding stays near 64 · 2⁻²⁴ relative.
    static let blockLength = 64 * width
    static let laneIndices = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)

    /// A tensor of `shape` whose every element `body` writes through the pointer it is given
    /// (the storage starts uninitialised, which saves a zero-fill pass).
    @inline(__always)
    static func makeTensor(shape: [Int], _ body: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        let count = shape.reduce(1, *)
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { body(base) }
            initialized = count
        }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// `lanes` elements from `x`; the remaining lanes hold `padding`.
    @inline(__always)
    static func load(_ x: UnsafePointer<Float>, lanes: Int, padding: Float = 0) -> Vector {
        if lanes == width { return UnsafeRawPointer(x).loadUnaligned(as: Vector.self) }
        var v = Vector(repeating: padding)
        for k in 0..<lanes { v[k] = x[k] }
        return v
    }

    /// Writes the first `lanes` lanes of `v` to `y`.
    @inline(__always)
    static func store(_ v: Vector, to y: UnsafeMutablePointer<Float>, lanes: Int) {
        if lanes == width {
            UnsafeMutableRawPointer(y).storeBytes(of: v, as: Vector.self)
        } else {
            for k in 0..<lanes { y[k] = v[k] }
        }
    }

    /// Calls `body(i, lanes)` for i = 0, 8, 16, … < count.
    @inline(__always)
    static func forEachChunk(count: Int, _ body: (_ i: Int, _ lanes: Int) -> Void) {
        var i = 0
        while i + width <= count {
            body(i, width)
            i += width
        }
        if i < count { body(i, count - i) }
    }

    /// `y[i] = f(x[i])` for `count` elements; `y` may equal `x`.
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int,
                    _ f: (Vector) -> Vector) {
        forEachChunk(count: count) { i, lanes in
            store(f(load(x + i, lanes: lanes)), to: y + i, lanes: lanes)
        }
    }

    /// `y[i] = f(a[i], b[i])` for `count` elements; `y` may equal `a` or `b`.
    @inline(__always)
    static func map(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                    count: Int, _ f: (Vector, Vector) -> Vector) {
        forEachChunk(count: count) { i, lanes in
            store(f(load(a + i, lanes: lanes), load(b + i, lanes: lanes)), to: y + i, lanes: lanes)
        }
    }

    /// A new tensor of `x`'s shape holding `f(x)` elementwise.
    @inline(__always)
    static func map(_ x: Tensor, _ f: (Vector) -> Vector) -> Tensor {
        x.withUnsafeBufferPointer { xb in
            makeTensor(shape: x.shape) { y in
                if let x = xb.baseAddress { map(x, into: y, count: xb.count, f) }
            }
        }
    }

    /// A new tensor holding `f(a, b)` elementwise; `a` and `b` must have one shape.
    @inline(__always)
    static func map(_ a: Tensor, _ b: Tensor, operation: @autoclosure () -> String,
                    _ f: (Vector, Vector) -> Vector) -> Tensor {
        precondition(a.shape == b.shape, "\(operation()): shapes \(a.shape) and \(b.shape) differ")
        return a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                makeTensor(shape: a.shape) { y in
                    if let a = ab.baseAddress, let b = bb.baseAddress { map(a, b, into: y, count: ab.count, f) }
                }
            }
        }
    }

    /// `(Σ_i first_i, Σ_i second_i)` where `term(i, lanes)` gives the terms at elements
    /// `i ..< i + lanes` (lanes past `lanes` are ignored). Blocks of `blockLength` elements are
    /// summed in Float32 lanes, then added in Double.
    @inline(__always)
    static func sumPair(count: Int, _ term: (_ i: Int, _ lanes: Int) -> (Vector, Vector)) -> (Double, Double) {
        var total = (0.0, 0.0)
        var start = 0
        while start < count {
            let end = min(start + blockLength, count)
            var partial = (Vector(), Vector())
            forEachChunk(count: end - start) { j, lanes in
                var (t0, t1) = term(start + j, lanes)
                if lanes < width {
                    let padding = laneIndices .>= SIMD8<Int32>(repeating: Int32(lanes))
                    t0.replace(with: 0, where: padding)
                    t1.replace(with: 0, where: padding)
                }
                partial.0 += t0
                partial.1 += t1
            }
            total.0 += Double(partial.0.sum())
            total.1 += Double(partial.1.sum())
            start = end
        }
        return total
    }

    /// `Σ_i term_i`, accumulated as in `sumPair`.
    @inline(__always)
    static func sum(count: Int, _ term: (_ i: Int, _ lanes: Int) -> Vector) -> Double {
        sumPair(count: count) { i, lanes in (term(i, lanes), Vector()) }.0
    }

    /// `e^x` lane by lane, after Cephes `expf`: `x = n·ln 2 + r` with |r| ≤ ln 2 / 2, a degree-6
    /// polynomial for `e^r`, then `2^n` through the exponent bits. Relative error about 2e-7;
    /// inputs are clamped to [−87, 88] so that `2^n` stays a normal number. Only lane-wise
    /// arithmetic, so it compiles to straight AVX2 code.
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        let x = maximum(minimum(x, 88), -87)
        // Adding 1.5·2²³ rounds x·log₂e to the nearest integer n and leaves n in the low
        // mantissa bits of the sum.
        let magic: Float = 12_582_912
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        // ln 2 split into 0.693359375 (few bits, so n · it is exact) − 2.12194440e-4.
        let r = x.addingProduct(n, Vector(repeating: -0.693_359_375)).addingProduct(n, Vector(repeating: 2.121_944_40e-4))
        // Horner steps p ← c + p·r, fused.
        var p = Vector(repeating: 1.987_569_15e-4)
        p = Vector(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
        p = Vector(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
        p = Vector(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
        p = Vector(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
        p = Vector(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
        let er = (r + 1).addingProduct(p, r * r)
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self)
            &- unsafeBitCast(Vector(repeating: magic), to: SIMD8<Int32>.self)
        return er * unsafeBitCast((integer &+ 127) &<< 23, to: Vector.self)
    }

    /// Lane-wise `max(v, bound)`. (`pointwiseMax` and `clamped` are not inlined by the
    /// standard library and cost a call per vector.)
    @inline(__always)
    static func maximum(_ v: Vector, _ bound: Float) -> Vector { v.replacing(with: bound, where: v .< bound) }

    /// Lane-wise `max(a, b)`.
    @inline(__always)
    static func maximum(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: a .< b) }

    /// Lane-wise `min(v, bound)`.
    @inline(__always)
    static func minimum(_ v: Vector, _ bound: Float) -> Vector { v.replacing(with: bound, where: v .> bound) }

    /// The logistic function `1 / (1 + e^−x)` lane by lane.
    @inline(__always)
    static func sigmoid(_ x: Vector) -> Vector {
        1 / (1 + exp(-x))
    }
}

/// `(N, C, H, W)` of a reference kernel's flat `[Double]` operand, checking that `shape` has four
/// axes and `count` elements.
func referenceExtents(_ shape: [Int], count: Int, _ operation: @autoclosure () -> String) -> (n: Int, c: Int, h: Int, w: Int) {
    precondition(shape.count == 4, "\(operation()): expected [N, C, H, W], got \(shape)")
    precondition(shape.reduce(1, *) == count,
                 "\(operation()): shape \(shape) needs \(shape.reduce(1, *)) values, got \(count)")
    return (shape[0], shape[1], shape[2], shape[3])
}
