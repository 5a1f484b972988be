import Foundation

/// A radix-2 complex FFT in Float32 on split real/imaginary arrays, for lengths that are powers
/// of two (the filtering code pads to one).
///
///     forward:  X[k] = Σ_j x[j] · e^{−2πi·jk/M}
///     inverse:  x[j] = (1/M) Σ_k X[k] · e^{+2πi·jk/M}
///
/// Iterative decimation in time: a bit-reversal permutation, then log2(M) stages of
/// butterflies; a stage with half-size `m` uses the twiddles `e^{−2πi·j/(2m)}`, `j < m`, stored
/// contiguously per stage so that stages with `m ≥ 8` run eight butterflies per AVX2 vector.
/// The inverse is the forward transform with real and imaginary parts exchanged on the way in
/// and out (`IFFT(x) = swap(FFT(swap(x)))/M`).
public struct FFTPlan: Sendable {
    public let length: Int
    private let bitReversed: [Int32]
    /// Stage with half-size m: cosines and sines at `twiddleOffset(m) ..< twiddleOffset(m) + m`.
    private let twiddleReal: [Float]
    private let twiddleImaginary: [Float]

    /// A plan for `length` points; `length` must be a power of two.
    public init(length: Int) {
        precondition(length >= 1 && length & (length - 1) == 0, "FFTPlan: length \(length) is not a power of two")
        self.length = length
        let bits = length.trailingZeroBitCount
        bitReversed = (0..<length).map { i in
            var reversed = 0
            for b in 0..<bits where i & (1 << b) != 0 { reversed |= 1 << (bits - 1 - b) }
            return Int32(reversed)
        }
        var cosines: [Float] = [], sines: [Float] = []
        var m = 1
        while m < length {
            for j in 0..<m {
                let angle = -Double.pi * Double(j) / Double(m)
                cosines.append(Float(cos(angle)))
                sines.append(Float(sin(angle)))
            }
            m *= 2
        }
        twiddleReal = cosines
        twiddleImaginary = sines
    }

    /// The smallest power of two ≥ `n`.
    public static func length(atLeast n: Int) -> Int {
        var m = 1
        while m < n { m *= 2 }
        return m
    }

    /// In-place forward transform of `length` points.
    public func forward(real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>) {
        transform(real, imaginary)
    }

    /// In-place inverse transform, including the 1/M factor.
    public func inverse(real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>) {
        transform(imaginary, real)
        let scale = 1 / Float(length)
        for i in 0..<length {
            real[i] *= scale
            imaginary[i] *= scale
        }
    }

    private func transform(_ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>) {
        for i in 0..<length {
            let j = Int(bitReversed[i])
            if j > i {
                swap(&re[i], &re[j])
                swap(&im[i], &im[j])
            }
        }
        typealias V = SIMD8<Float>
        twiddleReal.withUnsafeBufferPointer { wrBuffer in
            twiddleImaginary.withUnsafeBufferPointer { wiBuffer in
                var m = 1, offset = 0
                while m < length {
                    let wr = wrBuffer.baseAddress! + offset, wi = wiBuffer.baseAddress! + offset
                    var start = 0
                    while start < length {
                        let (ar, ai) = (re + start, im + start)
                        let (br, bi) = (re + start + m, im + start + m)
                        if m >= V.scalarCount {
                            var j = 0
                            while j < m {
                                let cr = load(wr + j)
                                let ci = load(wi + j)
                                let xr = load(br + j)
                                let xi = load(bi + j)
                                let tr = xr * cr - xi * ci, ti = xr * ci + xi * cr
                                let ur = load(ar + j)
                                let ui = load(ai + j)
                                store(ur + tr, ar + j); store(ui + ti, ai + j)
                                store(ur - tr, br + j); store(ui - ti, bi + j)
                                j += V.scalarCount
                            }
                        } else {
                            for j in 0..<m {
                                let tr = br[j] * wr[j] - bi[j] * wi[j], ti = br[j] * wi[j] + bi[j] * wr[j]
                                let (ur, ui) = (ar[j], ai[j])
                                ar[j] = ur + tr; ai[j] = ui + ti
                                br[j] = ur - tr; bi[j] = ui - ti
                            }
                        }
                        start += 2 * m
                    }
                    offset += m
                    m *= 2
                }
            }
        }
    }

    @inline(__always)
    private func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

    @inline(__always)
    private func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}
