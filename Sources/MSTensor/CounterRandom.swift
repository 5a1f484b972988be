/// A counter-based random generator: Philox-4x32-10 (Salmon et al., "Parallel random numbers:
/// as easy as 1, 2, 3", SC 2011).
///
/// Every draw is a pure function of `(seed, stream, position)`, so the random numbers a sample
/// uses can be reproduced from its indices alone, whichever process draws them and in whatever
/// order. The 128-bit counter holds `(position lo, position hi, stream lo, stream hi)`, the
/// 64-bit key is the seed. Derive a stream from several indices with
/// `CounterRandom.stream(_:)`, for example `stream(step, level, sampleIndex, purpose)`.
public struct CounterRandom: RandomNumberGenerator, Sendable {
    public let seed: UInt64
    public let stream: UInt64
    /// Index of the next 128-bit block.
    public private(set) var position: UInt64
    private var block: SIMD4<UInt32> = .zero
    private var used = 4

    /// A generator at position 0 of `stream` under `seed`.
    public init(seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        self.position = position
    }

    /// A generator whose stream is derived from the given indices.
    public init(seed: UInt64, indices: UInt64...) {
        self.init(seed: seed, stream: CounterRandom.stream(indices))
    }

    /// Mixes a list of indices into one 64-bit stream id (SplitMix64 finaliser, chained), so
    /// that `(1, 2)` and `(2, 1)` give unrelated streams.
    public static func stream(_ indices: [UInt64]) -> UInt64 {
        var h: UInt64 = 0x6A09_E667_F3BC_C908
        for index in indices { h = splitMix(h ^ splitMix(index &+ 0x9E37_79B9_7F4A_7C15)) }
        return h
    }

    /// SplitMix64's output function (Steele, Lea, Flood 2014).
    @inlinable
    public static func splitMix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The Philox-4x32-10 bijection of one 128-bit counter under a 64-bit key.
    @inlinable
    public static func philox(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        let m0: UInt64 = 0xD251_1F53, m1: UInt64 = 0xCD9E_8D57
        let w0: UInt32 = 0x9E37_79B9, w1: UInt32 = 0xBB67_AE85
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 { k.x = k.x &+ w0; k.y = k.y &+ w1 }
            let p0 = m0 &* UInt64(c.x)
            let p1 = m1 &* UInt64(c.z)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            c = SIMD4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0)
        }
        return c
    }

    /// The block at `position` of this generator's stream, without advancing.
    @inlinable
    public func block(at position: UInt64) -> SIMD4<UInt32> {
        let counter = SIMD4<UInt32>(UInt32(truncatingIfNeeded: position), UInt32(truncatingIfNeeded: position >> 32),
                                    UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32))
        let key = SIMD2<UInt32>(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        return CounterRandom.philox(counter: counter, key: key)
    }

    /// The next 32 random bits.
    public mutating func next32() -> UInt32 {
        if used == 4 {
            block = block(at: position)
            position &+= 1
            used = 0
        }
        defer { used += 1 }
        return block[used]
    }

    /// The next 64 random bits (`RandomNumberGenerator`).
    public mutating func next() -> UInt64 {
        UInt64(next32()) | (UInt64(next32()) << 32)
    }

    /// Uniform on [0, 1) with 24 random bits.
    public mutating func uniform() -> Float {
        Float(next32() >> 8) * (1.0 / 16_777_216.0)
    }

    /// Uniform on [lower, upper).
    public mutating func uniform(_ lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * uniform()
    }

    /// Uniform integer in `0..<bound`.
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0, "index(below:) needs a positive bound")
        return Int(next() % UInt64(bound))
    }

    /// Standard normal by Box–Muller (one pair of uniforms per draw; the second value is
    /// dropped so that each draw consumes a fixed number of bits).
    public mutating func normal() -> Float {
        let u1 = (Double(next32()) + 1.0) / 4_294_967_297.0   // (0, 1)
        let u2 = Double(next32()) / 4_294_967_296.0
        return Float((-2.0 * _logD(u1)).squareRoot() * _cosD(2.0 * Double.pi * u2))
    }

    /// Index of the next 32-bit word of the stream: word `k` is lane `k mod 4` of block `k / 4`.
    public var wordOffset: UInt64 { position &* 4 &- UInt64(4 - used) }

    /// Skips `count` 32-bit words, as if `next32()` had been called `count` times.
    public mutating func skip(words count: UInt64) {
        let target = wordOffset &+ count
        position = target / 4
        used = 4
        if target % 4 != 0 {
            block = block(at: position)
            position &+= 1
            used = Int(target % 4)
        }
    }

    /// Fills `buffer` with normal draws of standard deviation `scale`: Box–Muller in Float
    /// with both outputs of each pair of uniforms used (`r·cos θ`, `r·sin θ`), two 32-bit draws
    /// per two values. The radius is bounded by the 24-bit uniform at about 5.9σ.
    /// Equivalent to `normals(into: buffer, first: 0, wordOffset: wordOffset, scale: scale)`
    /// followed by skipping the `2·⌈n/2⌉` words it read.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, scale: Float = 1) {
        normals(into: buffer, first: 0, wordOffset: wordOffset, scale: scale)
        skip(words: 2 * UInt64((buffer.count + 1) / 2))
    }

    /// Elements `first ..< first + buffer.count` of the normal sequence that `fillNormal` writes
    /// when it starts at word `start` of this stream, without advancing: element `f` belongs to
    /// pair `p = ⌊f/2⌋`, made of words `start + 2p` (radius `r = scale·√(−2 ln u₁)`,
    /// `u₁ = (w >> 8 + ½)/2²⁴`) and `start + 2p + 1` (angle `θ = 2π·(w >> 8)/2²⁴`), and is
    /// `r·cos θ` for even `f`, `r·sin θ` for odd `f`. So any run of the sequence is bitwise
    /// the same whether it is filled alone or as part of a longer fill. One Philox block is
    /// computed per 4 consecutive words.
    public func normals(into buffer: UnsafeMutableBufferPointer<Float>, first: Int, wordOffset start: UInt64,
                        scale: Float = 1) {
        precondition(first >= 0, "normals: negative first element \(first)")
        let n = buffer.count
        var cachedIndex = UInt64.max, cached = SIMD4<UInt32>.zero
        var i = 0, f = first
        while i < n {
            let w = start &+ 2 &* UInt64(f / 2)
            if w / 4 != cachedIndex { cachedIndex = w / 4; cached = block(at: cachedIndex) }
            let w0 = cached[Int(w % 4)]
            if (w &+ 1) / 4 != cachedIndex { cachedIndex = (w &+ 1) / 4; cached = block(at: cachedIndex) }
            let w1 = cached[Int((w &+ 1) % 4)]
            let u1 = (Float(w0 >> 8) + 0.5) * (1.0 / 16_777_216.0)   // (0, 1)
            let u2 = Float(w1 >> 8) * (1.0 / 16_777_216.0)
            let radius = scale * (-2 * _logF(u1)).squareRoot()
            let angle = 2 * Float.pi * u2
            if f % 2 == 0 {
                buffer[i] = radius * _cosF(angle)
                if i + 1 < n { buffer[i + 1] = radius * _sinF(angle) }
                i += 2
                f += 2
            } else {
                buffer[i] = radius * _sinF(angle)
                i += 1
                f += 1
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@inline(__always) private func _logD(_ x: Double) -> Double { log(x) }
@inline(__always) private func _cosD(_ x: Double) -> Double { cos(x) }
@inline(__always) private func _logF(_ x: Float) -> Float { logf(x) }
@inline(__always) private func _cosF(_ x: Float) -> Float { cosf(x) }
@inline(__always) private func _sinF(_ x: Float) -> Float { sinf(x) }
