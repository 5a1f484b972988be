import CFFTW
import Foundation

/// A complex FFT in Float32 on interleaved arrays (`re₀, im₀, re₁, im₁, …`), computed by FFTW
/// (single precision, `fftwf_*`):
///
///     forward:  X[k] = Σ_j x[j] · e^{−2πi·jk/M}
///     inverse:  x[j] = (1/M) Σ_k X[k] · e^{+2πi·jk/M}
///
/// Any length works; the filtering code pads to one FFTW transforms fast (`length(atLeast:)`).
/// Plans are made once per (length, direction), in place, with `FFTW_ESTIMATE`, so the
/// algorithm FFTW picks, and with it every rounding, is the same in every run and on every rank
/// (no timing, no wisdom). They are kept for the process's lifetime and executed with
/// `fftwf_execute_dft` on the caller's array, which is thread-safe; that array must be aligned
/// like the planning array (`isAligned`), as the buffers from `allocate` are.
public struct FFTPlan: @unchecked Sendable {
    public let length: Int
    /// Floats from one buffer of `allocate` to the next: `2·length` rounded up to a multiple of
    /// 16, so every buffer starts 64-byte aligned.
    public let bufferStride: Int
    private let forwardPlan, inversePlan: fftwf_plan

    /// The plans for `length ≥ 1` points, made on first use.
    public init(length: Int) {
        precondition(length >= 1, "FFTPlan: length \(length) must be positive")
        self.length = length
        bufferStride = (2 * length + 15) / 16 * 16
        forwardPlan = PlanCache.shared.plan(length: length, direction: FFTW_FORWARD)
        inversePlan = PlanCache.shared.plan(length: length, direction: FFTW_BACKWARD)
    }

    /// The smallest `M ≥ n` of the form `2^a` or `3·2^a`: lengths with only the factors 2 and
    /// 3 are FFTW's cheapest, and this choice pads by less than a power of two alone.
    public static func length(atLeast n: Int) -> Int {
        var power = 1
        while power < n { power *= 2 }
        return power % 4 == 0 && 3 * (power / 4) >= n ? 3 * (power / 4) : power
    }

    /// Whether `pointer` has the alignment FFTW planned for (its SIMD alignment).
    public static func isAligned(_ pointer: UnsafeMutablePointer<Float>) -> Bool { fftwf_alignment_of(pointer) == 0 }

    /// `count` zeroed buffers of `2·length` interleaved floats, `bufferStride` apart, 64-byte
    /// aligned; the caller deallocates.
    public func allocate(buffers count: Int) -> UnsafeMutablePointer<Float> {
        let floats = max(1, count * bufferStride)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: floats * MemoryLayout<Float>.stride, alignment: 64)
        return raw.initializeMemory(as: Float.self, repeating: 0, count: floats)
    }

    /// In-place forward transform of the `length` complex points at `data`.
    public func forward(_ data: UnsafeMutablePointer<Float>) {
        execute(forwardPlan, data)
    }

    /// In-place inverse transform, including the 1/M factor.
    public func inverse(_ data: UnsafeMutablePointer<Float>) {
        execute(inversePlan, data)
        let scale = 1 / Float(length)
        for i in 0..<2 * length { data[i] *= scale }
    }

    private func execute(_ plan: fftwf_plan, _ data: UnsafeMutablePointer<Float>) {
        precondition(Self.isAligned(data), "FFTPlan: the \(length)-point array is not aligned as FFTW planned (use allocate)")
        data.withMemoryRebound(to: fftwf_complex.self, capacity: length) { fftwf_execute_dft(plan, $0, $0) }
    }
}

/// The process's FFTW plans, one per (length, direction). FFTW's planner is not thread-safe,
/// so planning happens under a lock; plans are never destroyed.
private final class PlanCache: @unchecked Sendable {
    static let shared = PlanCache()
    private let lock = NSLock()
    private struct Key: Hashable { let length: Int, direction: Int32 }
    private var plans: [Key: fftwf_plan] = [:]

    /// The in-place plan for `length` points, `direction` `FFTW_FORWARD` or `FFTW_BACKWARD`.
    func plan(length: Int, direction: Int32) -> fftwf_plan {
        lock.lock()
        defer { lock.unlock() }
        let key = Key(length: length, direction: direction)
        if let plan = plans[key] { return plan }
        // A planning array aligned like `FFTPlan.allocate`'s; FFTW_ESTIMATE does not touch it.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: length * MemoryLayout<fftwf_complex>.stride, alignment: 64)
        defer { raw.deallocate() }
        let data = raw.bindMemory(to: fftwf_complex.self, capacity: length)
        guard let plan = fftwf_plan_dft_1d(Int32(length), data, data, direction, UInt32(FFTW_ESTIMATE)) else {
            fatalError("FFTPlan: FFTW could not plan a transform of \(length) points")
        }
        plans[key] = plan
        return plan
    }
}
