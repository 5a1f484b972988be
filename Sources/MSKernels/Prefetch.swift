import CPrefetch

/// Software prefetch: asks the caches for memory that is read soon, without waiting for it.
enum Prefetch {
    static let lineBytes = 64

    /// Requests every cache line of `bytes` bytes from `start`.
    @inline(__always)
    static func lines(from start: UnsafeRawPointer, bytes: Int) {
        for offset in stride(from: 0, to: bytes, by: lineBytes) { mstrain_prefetch(start + offset) }
    }
}
