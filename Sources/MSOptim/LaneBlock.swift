#if arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Eight Float lanes, one AVX2 register: the vector width of the optimizer loops.
typealias Lanes = SIMD8<Float>

/// A run of at most `Lanes.scalarCount` consecutive elements of a flat buffer, starting at
/// `offset`. Full blocks load and store one vector; the last, partial block pads the unused
/// lanes with zeros on load and leaves them out on store, so one loop body serves every
/// element and no scalar tail loop is needed.
struct LaneBlock {
    let offset: Int
    let width: Int

    /// Calls `body` on consecutive blocks covering `0..<count`: full blocks first, then the
    /// partial one if any. `body` is inlined at both calls, so in the first the width is the
    /// constant `Lanes.scalarCount` and the partial-block branches fold away.
    @inline(__always)
    static func forEach(count: Int, _ body: (LaneBlock) -> Void) {
        let full = count - count % Lanes.scalarCount
        var offset = 0
        while offset < full {
            body(LaneBlock(offset: offset, width: Lanes.scalarCount))
            offset += Lanes.scalarCount
        }
        if offset < count { body(LaneBlock(offset: offset, width: count - offset)) }
    }

    /// `base[offset..<offset + width]`, zero-padded to a full vector.
    @inline(__always)
    func load(_ base: UnsafePointer<Float>) -> Lanes {
        if width == Lanes.scalarCount {
            return UnsafeRawPointer(base + offset).loadUnaligned(as: Lanes.self)
        }
        var lanes = Lanes()
        for lane in 0..<width { lanes[lane] = base[offset + lane] }
        return lanes
    }

    @inline(__always)
    func load(_ base: UnsafeMutablePointer<Float>) -> Lanes {
        load(UnsafePointer(base))
    }

    /// Writes the first `width` lanes of `lanes` to `base[offset...]`.
    @inline(__always)
    func store(_ lanes: Lanes, to base: UnsafeMutablePointer<Float>) {
        if width == Lanes.scalarCount {
            UnsafeMutableRawPointer(base + offset).storeBytes(of: lanes, as: Lanes.self)
            return
        }
        for lane in 0..<width { base[offset + lane] = lanes[lane] }
    }
}

/// The lane-wise square root, correctly rounded like `Float.squareRoot()`. On x86-64 this is one
/// `vsqrtps`; the generic `SIMD.squareRoot()` goes lane by lane through libm's errno-setting
/// `sqrtf` on Linux, which costs more than the rest of an Adam step.
@inline(__always)
func squareRoot(_ lanes: Lanes) -> Lanes {
    #if arch(x86_64) && canImport(_Builtin_intrinsics)
    return _mm256_sqrt_ps(lanes)
    #else
    return lanes.squareRoot()
    #endif
}
