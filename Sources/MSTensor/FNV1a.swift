/// The 64-bit FNV-1a hash (Fowler, Noll, Vo): `h ← (h ⊕ word) · 1099511628211`, from
/// `h = 14695981039346656037`. Fed with bytes, or with the bit patterns of Float32 values
/// (one 32-bit pattern per word). It detects damage and disagreement (checkpoint checksums,
/// replicas that differ between ranks), not tampering.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    public init() {}

    public mutating func combine(_ word: UInt64) { value = (value ^ word) &* Self.prime }

    /// Mixes in each value's 32-bit pattern.
    public mutating func combine<Values: Sequence<Float>>(floats: Values) {
        for v in floats { combine(UInt64(v.bitPattern)) }
    }

    /// Mixes in each byte.
    public mutating func combine<Bytes: Sequence<UInt8>>(bytes: Bytes) {
        for b in bytes { combine(UInt64(b)) }
    }

    /// The hash of `values`' bit patterns.
    public static func hash<Values: Sequence<Float>>(floats values: Values) -> UInt64 {
        var h = FNV1a()
        h.combine(floats: values)
        return h.value
    }
}
