import MSKernels

/// The memory side of `bench kernels`: one thread's streaming read rate, and what it bounds.
extension BenchKernels {
    /// Bytes per second one thread reads from a 128 MiB array (four times a large L3) with
    /// eight-lane sums, best of 3 by the same clock as the kernels.
    func memoryReadRate() -> Double {
        let count = 32 << 20
        let data = [Float](repeating: 1, count: count)
        var total = Float(0)
        let seconds = best(reps: 3) {
            data.withUnsafeBufferPointer { buffer in
                let base = UnsafeRawPointer(buffer.baseAddress!)
                var (s0, s1, s2, s3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                for i in stride(from: 0, to: count * 4, by: 128) {
                    s0 += base.loadUnaligned(fromByteOffset: i, as: SIMD8<Float>.self)
                    s1 += base.loadUnaligned(fromByteOffset: i + 32, as: SIMD8<Float>.self)
                    s2 += base.loadUnaligned(fromByteOffset: i + 64, as: SIMD8<Float>.self)
                    s3 += base.loadUnaligned(fromByteOffset: i + 96, as: SIMD8<Float>.self)
                }
                total += (s0 + s1 + s2 + s3).sum()
            }
        }
        precondition(total > 0, "bench kernels: the memory read was optimised away")
        return Double(count * 4) / seconds
    }

    /// The rate, as a fraction of `gemmRate` (flop/s), of a pass of `g` whose flops run at the sgemm
    /// rate and whose unavoidable memory traffic, reading and writing `X` and `Y` (or `dX`, `dY`)
    /// once each, runs at `readRate` (bytes/s) without overlapping them: every pass of a
    /// convolution touches one input-sized and one output-sized tensor.
    static func serialBound(_ g: Conv2dGeometry, gemmRate: Double, readRate: Double) -> Double {
        let bytes = 4 * Double(g.inputShape.reduce(1, *) + g.outputShape.reduce(1, *))
        let flopSeconds = g.forwardFlops / gemmRate
        return flopSeconds / (flopSeconds + bytes / readRate)
    }
}
